package org.bakeoff.cassandra;

import org.apache.cassandra.auth.CassandraRoleManager;
import org.apache.cassandra.cql3.QueryProcessor;
import org.apache.cassandra.db.ConsistencyLevel;
import org.apache.cassandra.exceptions.ConfigurationException;
import org.mindrot.jbcrypt.BCrypt;

/**
 * Cassandra's own role manager, except for the role it bootstraps: a superuser named by
 * CASSANDRA_USER with the password from CASSANDRA_PASSWORD, instead of cassandra/cassandra.
 *
 * <p>Stock Cassandra creates cassandra/cassandra on first start and leaves changing it to the
 * operator, which needs a running server: the published port would answer to a well-known
 * password until someone logged in and changed it. Creating the role from the container's
 * environment closes that window, and costs nothing at start-up: the stock manager runs the
 * same setup task anyway.
 */
public final class EnvironmentRoleManager extends CassandraRoleManager
{
    private static final String USER_ENV = "CASSANDRA_USER";
    private static final String PASSWORD_ENV = "CASSANDRA_PASSWORD";
    // Stock Cassandra's default cost (cassandra.auth_bcrypt_gensalt_log2_rounds), so a login
    // costs what it would with any role created through CQL.
    private static final int BCRYPT_LOG2_ROUNDS = 10;
    private static final String INSERT_ROLE =
        "INSERT INTO system_auth.roles (role, is_superuser, can_login, salted_hash) VALUES (?, true, true, ?)";

    private final String user;
    private final String saltedHash;

    public EnvironmentRoleManager()
    {
        user = required(USER_ENV);
        // Hashed at once: the plain password is needed nowhere else in the server.
        saltedHash = BCrypt.hashpw(required(PASSWORD_ENV), BCrypt.gensalt(BCRYPT_LOG2_ROUNDS));
    }

    private static String required(String name)
    {
        String value = System.getenv(name);
        if (value == null || value.isEmpty())
            throw new ConfigurationException(name + " is empty: this image always requires a login role and password", false);
        return value;
    }

    @Override
    public void setup()
    {
        loadRoleStatement();
        loadIdentityStatement();
        // Written on every start, not only the first: a restarted container answers to the
        // password it was (re)started with. scheduleSetupTask retries until reads are safe.
        scheduleSetupTask(() -> {
            QueryProcessor.execute(INSERT_ROLE, ConsistencyLevel.QUORUM, user, saltedHash);
            return null;
        });
    }
}
