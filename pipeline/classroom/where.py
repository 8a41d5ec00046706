"""Where the class database is, without SQLAlchemy: a server's sweep asks whether there is a database before
it imports anything that can open one."""

URL_ENV = "PIPELINE_TRACE_DB_URL"  # a database URL (PostgreSQL for replicas); unset: SQLite in the data folder
DB_FILE = "classroom.sqlite3"  # the SQLite file in the data folder
