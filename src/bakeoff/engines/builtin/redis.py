"""Redis in a container."""

from bakeoff.engines.catalog import EngineSpec, Family, Provision
from bakeoff.engines.redis_protocol import REDIS
from bakeoff.engines.settings_lists import redis_7_0

SPEC = EngineSpec(
    name="redis",
    display_name="Redis",
    family=Family.KEY_VALUE,
    adapter="redis",
    provision=Provision.CONTAINER,
    driver_modules=("redis",),
    extra="redis",
    url_scheme="redis",
    other_url_schemes=("rediss",),
    image="redis:7.0.15-bookworm",
    port=6379,
    # Persistence off by default: a workload that wants durability sets these.
    knobs={"save": "", "appendonly": "no"},
    server=REDIS,
    password_env=("REDIS_PASSWORD",),
    reported_settings=("appendonly", "save", "maxmemory", "io-threads"),
    notes="Tested here with the project's image of Debian's redis-server 7.0.",
    known_settings=redis_7_0,
)
