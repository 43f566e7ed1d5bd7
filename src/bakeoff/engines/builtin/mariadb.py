"""MariaDB in a container."""

from bakeoff.engines.catalog import EngineSpec, Family, Provision
from bakeoff.engines.settings_lists import mariadb_10_11
from bakeoff.engines.sql_protocol import MYSQL, MYSQL_REPORTED_SETTINGS

SPEC = EngineSpec(
    name="mariadb",
    display_name="MariaDB",
    family=Family.RELATIONAL,
    adapter="sql",
    provision=Provision.CONTAINER,
    driver_modules=("pymysql",),
    extra="mysql",
    url_scheme="mysql+pymysql",
    image="mariadb:10.11.11",
    port=3306,
    server=MYSQL,
    password_env=("MARIADB_PASSWORD",),
    container_env={
        "MARIADB_USER": "bakeoff",
        "MARIADB_DATABASE": "bakeoff",
        "MARIADB_RANDOM_ROOT_PASSWORD": "1",
    },
    reported_settings=MYSQL_REPORTED_SETTINGS,
    known_settings=mariadb_10_11,
    notes="Tested here with the project's image of Debian's mariadb-server 10.11.",
)
