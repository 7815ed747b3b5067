# Shared by the hooks (sourced, not run). The admin password reaches the client through MYSQL_PWD,
# never a command line; SQL that carries a password goes through stdin.
cli() {
  MYSQL_PWD="$SECRET_ADMIN_PASSWORD" mariadb --protocol=TCP -h "$SERVICE_HOST" -P "$SERVICE_PORT" \
    -u root --connect-timeout=10 -N -B "$@"
}
# A value as an SQL string literal ('...' with ' and \ escaped), for SQL built in a heredoc.
sql_string() {
  printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")"
}
check_database() {
  case $1 in
    [a-z]*) ;;
    *) echo "database name must start with a letter: $1" >&2; return 1 ;;
  esac
  case $1 in *[!a-z0-9_]*) echo "database name has characters other than a-z 0-9 _" >&2; return 1 ;; esac
}
check_user() {
  case $1 in
    root|mysql|public|mariadb.sys) echo "'$1' is reserved" >&2; return 1 ;;
  esac
}
