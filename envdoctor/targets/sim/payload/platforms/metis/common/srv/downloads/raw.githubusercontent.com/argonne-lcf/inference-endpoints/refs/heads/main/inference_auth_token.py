# Stand-in for argonne-lcf/inference-endpoints inference_auth_token.py (main @ eb9636e3,
# 2026-07-22), the copy a simulated node's `wget` of the raw URL receives.
#
# Same command line (authenticate [--force], get_access_token, get_time_until_token_expiration
# [--units], revoke_access_token), same module functions, same token file
# (~/.globus/app/<AUTH_CLIENT_ID>/inference_app/tokens.json, globus_sdk's JSON token storage,
# format 2.0), same error texts. What differs: Globus Auth is the node's state file, so
# `authenticate` signs in without a browser, and access tokens are refreshed by that file.
# Access tokens last 48 hours; the gateway enforces re-authentication every 7 days
# (user guide docs/ai-testbed/sn40l_inference/using_an_inference_endpoint.md @ 4eaca024).
import globus_sdk  # the real helper needs it too: without it, this line fails the same way
import json
import os
import os.path
import secrets
import time

APP_NAME = "inference_app"
AUTH_CLIENT_ID = "58fdd3bc-e1c3-4ce5-80ea-8d6b87cfb944"
GATEWAY_CLIENT_ID = "681c10cc-f684-4540-bcd7-0b4df3bc26ef"
GATEWAY_SCOPE = f"https://auth.globus.org/scopes/{GATEWAY_CLIENT_ID}/action_all"
TOKENS_PATH = f"{os.path.expanduser('~')}/.globus/app/{AUTH_CLIENT_ID}/{APP_NAME}/tokens.json"
GLOBUS_STATE = "@ROOT@/var/inference/state.json"  # the simulated node's Globus Auth
ACCESS_LIFETIME = 48 * 3600


def _globus():
    with open(GLOBUS_STATE, encoding="utf-8") as fh:
        return json.load(fh)


def _save_globus(data):
    tmp = GLOBUS_STATE + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
    os.replace(tmp, GLOBUS_STATE)


def _read_tokens():
    with open(TOKENS_PATH, encoding="utf-8") as fh:
        return json.load(fh)["data"]["DEFAULT"][GATEWAY_CLIENT_ID]


def _write_tokens(token):
    os.makedirs(os.path.dirname(TOKENS_PATH), exist_ok=True)
    data = {"data": {"DEFAULT": {GATEWAY_CLIENT_ID: token}}, "format_version": "2.0",
            "globus-sdk.version": globus_sdk.__version__}
    old = os.umask(0o177)
    try:
        with open(TOKENS_PATH, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
    finally:
        os.umask(old)


def _issue(state, session, identity):
    access = "Ag" + secrets.token_hex(24)
    exp = int(time.time()) + ACCESS_LIFETIME
    state.setdefault("access_tokens", {})[access] = {"exp": exp, "session": session}
    return access, exp


def _prompt_login():
    """globus_sdk's command-line login flow (login_flows/command_line_login_flow_manager.py):
    the URL, then a code read from stdin; no terminal -> CommandLineLoginFlowEOFError."""
    from globus_sdk.login_flows import CommandLineLoginFlowEOFError

    login_prompt = "Please authenticate with Globus here:"
    print(f"\n{login_prompt}\n{'-' * len(login_prompt)}\n"
          f"https://auth.globus.org/v2/oauth2/authorize?client_id={AUTH_CLIENT_ID}&scope={GATEWAY_SCOPE}"
          f"\n{'-' * len(login_prompt)}\n", flush=True)
    try:
        return input("Enter the resulting Authorization Code here: ").strip()
    except EOFError as e:
        msg = ("An EOF was read when an authorization code was expected."
               " (Are you running this in an interactive terminal?)")
        raise CommandLineLoginFlowEOFError(msg) from e


def _login():
    # The simulated node has no browser: the sign-in succeeds without a code.
    login_prompt = "Please authenticate with Globus here:"
    print(f"\n{login_prompt}\n{'-' * len(login_prompt)}\n"
          f"https://auth.globus.org/v2/oauth2/authorize?client_id={AUTH_CLIENT_ID}&scope={GATEWAY_SCOPE}"
          f"\n{'-' * len(login_prompt)}\n")
    state = _globus()
    identity = state.get("identity", "student@anl.gov")
    session = secrets.token_hex(8)
    state.setdefault("sessions", {})[session] = {"authenticated_at": time.time(), "identity": identity}
    access, exp = _issue(state, session, identity)
    refresh = "Ag" + secrets.token_hex(32)
    state.setdefault("refresh_tokens", {})[refresh] = {"session": session}
    _save_globus(state)
    _write_tokens({"resource_server": GATEWAY_CLIENT_ID, "identity_id": state.get("identity_id"),
                   "scope": GATEWAY_SCOPE, "access_token": access, "refresh_token": refresh,
                   "expires_at_seconds": exp, "token_type": "Bearer"})
    print(f"(simulated node: signed in to Globus as {identity})")


class _Authorizer:
    def __init__(self, token):
        self.token = token
        self.access_token = token["access_token"]
        self.expires_at = token["expires_at_seconds"]

    def ensure_valid_token(self):
        if self.expires_at > time.time() + 60:
            return
        state = _globus()
        grant = state.get("refresh_tokens", {}).get(self.token.get("refresh_token") or "")
        if grant is None:
            # the real UserApp hands the failure to the helper's DomainBasedErrorHandler
            print(f"Encountered error 'Token expired at {time.strftime('%Y-%m-%dT%H:%M:%S', time.localtime(self.expires_at))}', initiating login...")
            _prompt_login()
            _login()
            self.__init__(_read_tokens())
            return
        access, exp = _issue(state, grant["session"], state.get("identity"))
        _save_globus(state)
        self.token.update(access_token=access, expires_at_seconds=exp)
        _write_tokens(self.token)
        self.access_token, self.expires_at = access, exp


def get_auth_object(force=False):
    if force or not os.path.isfile(TOKENS_PATH):
        if not force:
            # The real UserApp finds no token (MissingTokenError), and the helper's
            # DomainBasedErrorHandler starts the command-line login, which waits for a code.
            print(f"Encountered error 'No token data for {GATEWAY_CLIENT_ID}', initiating login...")
            _prompt_login()
        _login()
    return _Authorizer(_read_tokens())


def get_access_token():
    auth = get_auth_object(force=False)
    auth.ensure_valid_token()
    return auth.access_token


def get_time_until_token_expiration(units="seconds"):
    auth = get_auth_object(force=False)
    delta_t = auth.expires_at - time.time()
    if units == "seconds":
        delta_t = delta_t
    elif units == "minutes":
        delta_t = delta_t / 60
    elif units == "hours":
        delta_t = delta_t / 3600
    else:
        return "Error: units must be 'seconds', 'minutes', or 'hours'."
    return round(delta_t, 2)


def revoke_access_token():
    state = _globus()
    token = _read_tokens()
    state.get("access_tokens", {}).pop(token.get("access_token"), None)
    state.get("refresh_tokens", {}).pop(token.get("refresh_token"), None)
    _save_globus(state)
    os.remove(TOKENS_PATH)
    print("Done. The Inference Gateway API can take up to ~10 minutes to incorporate the revocation.")


if __name__ == "__main__":
    import argparse

    class InferenceAuthError(Exception):
        pass

    AUTHENTICATE_ACTION = "authenticate"
    GET_ACCESS_TOKEN_ACTION = "get_access_token"
    REVOKE_ACCESS_TOKEN_ACTION = "revoke_access_token"
    GET_TOKEN_EXPIRATION_ACTION = "get_time_until_token_expiration"

    parser = argparse.ArgumentParser()
    parser.add_argument('action', choices=[AUTHENTICATE_ACTION, GET_ACCESS_TOKEN_ACTION, REVOKE_ACCESS_TOKEN_ACTION, GET_TOKEN_EXPIRATION_ACTION])
    parser.add_argument("--units", choices=['seconds', 'minutes', 'hours'], default='seconds', help="Units for the time until token expiration")
    parser.add_argument("-f", "--force", action="store_true", help="authenticate from scratch")
    args = parser.parse_args()

    if args.action == AUTHENTICATE_ACTION:
        _ = get_auth_object(force=True)
    elif args.action == GET_ACCESS_TOKEN_ACTION:
        if not os.path.isfile(TOKENS_PATH):
            raise InferenceAuthError('Access token does not exist. '
                'Please authenticate by running "python3 inference_auth_token.py authenticate".')
        if args.force:
            raise InferenceAuthError(f"The --force flag cannot be used with the {GET_ACCESS_TOKEN_ACTION} action.")
        print(get_access_token())
    elif args.action == GET_TOKEN_EXPIRATION_ACTION:
        if not os.path.isfile(TOKENS_PATH):
            raise InferenceAuthError('Access token does not exist. '
                'Please authenticate by running "python3 inference_auth_token.py authenticate".')
        print(get_time_until_token_expiration(args.units))
    elif args.action == REVOKE_ACCESS_TOKEN_ACTION:
        if not os.path.isfile(TOKENS_PATH):
            raise InferenceAuthError('Access token not found.')
        revoke_access_token()
