"""MySQL in a container (not tested here: see the notes)."""

from bakeoff.engines.catalog import EngineSpec, Family, Provision
from bakeoff.engines.sql_protocol import MYSQL, MYSQL_REPORTED_SETTINGS

SPEC = EngineSpec(
    name="mysql",
    display_name="MySQL",
    family=Family.RELATIONAL,
    adapter="sql",
    provision=Provision.CONTAINER,
    driver_modules=("pymysql",),
    extra="mysql",
    url_scheme="mysql+pymysql",
    image="mysql:8.4.6",
    port=3306,
    server=MYSQL,
    password_env=("MYSQL_PASSWORD",),
    container_env={
        "MYSQL_USER": "bakeoff",
        "MYSQL_DATABASE": "bakeoff",
        "MYSQL_RANDOM_ROOT_PASSWORD": "yes",
    },
    reported_settings=MYSQL_REPORTED_SETTINGS,
    ready_timeout_s=120.0,
    tested_here=False,
    notes=(
        "Not tested here: no registry is reachable and Debian packages no MySQL "
        "server, so there is no local image (MariaDB is a different engine, never "
        "a stand-in). MySQL 8.4's default caching_sha2_password auth needs PyMySQL's "
        "optional 'cryptography' dependency over a plain connection."
    ),
)
