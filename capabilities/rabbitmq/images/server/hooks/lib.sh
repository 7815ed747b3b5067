# Shared by the hooks (sourced, not run). The CLI tools talk to the server over Erlang
# distribution (epmd 4369, dist port 25672 on the instance's network), authenticated by the
# instance's Erlang cookie, which they read from $HOME/.erlang.cookie (owner-only, 0400).
# The cookie is a secret, so it goes through that file rather than --erlang-cookie.
write_cookie() { # write_cookie DIR COOKIE
  case $2 in
    '' | *[!A-Za-z0-9]*) echo "the Erlang cookie must be letters and digits" >&2; return 1 ;;
  esac
  rm -f "$1/.erlang.cookie"
  (umask 0377 && printf '%s' "$2" >"$1/.erlang.cookie")
}
# For one-shot hooks: a private HOME holding the cookie, and the server's node name.
hook_setup() {
  HOME=$(mktemp -d)
  export HOME
  write_cookie "$HOME" "$SECRET_ERLANG_COOKIE"
  NODE="rabbit@$SERVICE_HOST"
}
ctl() { rabbitmqctl -n "$NODE" -q "$@"; }
# The vhost parameter is empty for RabbitMQ's default vhost "/" (see capability.yaml).
vhost() { printf '%s' "${PARAM_VHOST:-/}"; }
user_exists() { rabbitmqctl -n "$NODE" -s list_users | cut -f1 | grep -qxF -- "$1"; }
