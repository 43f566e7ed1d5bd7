// Command bakeoff-ferretdb serves the MongoDB wire protocol with FerretDB v1 on its
// SQLite backend, started through FerretDB's embeddable package.
//
// Why not FerretDB's own command: `go install .../cmd/ferretdb@v1.24.x` builds a binary
// that panics at start, because the version files its release process generates are not
// part of the module. The embeddable package needs none of them.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/build/version"
	"github.com/FerretDB/FerretDB/ferretdb"
	"go.uber.org/automaxprocs/maxprocs"
)

const ferretModule = "github.com/FerretDB/FerretDB"

func main() {
	// Flag and variable names are those of FerretDB's own command and official image,
	// so the provisioner configures both images alike.
	listen := flag.String("listen-addr", env("FERRETDB_LISTEN_ADDR", "0.0.0.0:27017"),
		"TCP address to serve the wire protocol on")
	// FerretDB keeps one SQLite file per database in this directory; the URL's query may
	// carry SQLite pragmas (for example _pragma=synchronous(normal)).
	sqliteURL := flag.String("sqlite-url", env("FERRETDB_SQLITE_URL", "file:/state/"),
		"SQLite URI of an existing directory, ending in /")
	logLevel := flag.String("log-level", env("FERRETDB_LOG_LEVEL", "warn"), "debug, info, warn or error")
	flag.Parse()
	if flag.NArg() > 0 {
		fail("unexpected arguments %q (server options start with --)", flag.Args())
	}
	if handler := env("FERRETDB_HANDLER", "sqlite"); handler != "sqlite" {
		fail("FERRETDB_HANDLER=%s: this image has the sqlite handler only", handler)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail("--log-level: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	// Go before 1.25 sizes its scheduler by the host's cores, not the container's CPU
	// limit; a --cpus limited engine would otherwise run more threads than it may use.
	if _, err := maxprocs.Set(maxprocs.Logger(func(format string, args ...any) {
		logger.Info(fmt.Sprintf(format, args...))
	})); err != nil {
		logger.Warn("cannot apply the CPU quota to GOMAXPROCS", slog.Any("error", err))
	}

	reportModuleVersion()

	server, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
	})
	if err != nil {
		fail("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logger.Warn("serving", slog.String("listen", *listen), slog.String("sqlite", *sqliteURL),
		slog.String("ferretdb", version.Get().Version))
	if err := server.Run(ctx); err != nil {
		fail("%v", err)
	}
}

// reportModuleVersion fills in what `buildInfo` reports as ferretdbVersion. FerretDB
// reads it from files its release process generates, which an embedding program does
// not have, so it would say "unknown"; the FerretDB module version compiled into this
// binary is the exact and honest answer, and results must name the engine that answered.
func reportModuleVersion() {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	for _, dep := range info.Deps {
		if dep.Path != ferretModule {
			continue
		}
		if dep.Replace != nil {
			dep = dep.Replace
		}
		v := version.Get()
		v.Version = dep.Version
		if dep.Sum != "" {
			v.Commit = "module " + dep.Sum
		}
		v.BuildEnvironment.Set("go.version", info.GoVersion)
		for _, setting := range info.Settings {
			if strings.HasPrefix(setting.Key, "-") || setting.Key == "CGO_ENABLED" {
				v.BuildEnvironment.Set(setting.Key, setting.Value)
			}
		}
		return
	}
}

func env(name, fallback string) string {
	if value, ok := os.LookupEnv(name); ok && value != "" {
		return value
	}
	return fallback
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bakeoff-ferretdb: "+format+"\n", args...)
	os.Exit(2)
}
