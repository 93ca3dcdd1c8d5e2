"""Fidelity check: the official Cloudflare Python SDK against the emulator.

Drives a running cf-ssh-settings-emulator with `cloudflare` (5.9.0) and with
plain urllib, and validates every raw response body against the
`SettingsResponse` / `FailureResponse` schemas of spec/openapi.json.

Usage: check_emulator.py --base-url URL --token T --account A
                         --other-account B --email E --key K --spec PATH
Prints `N passed, M failed` last; exits non-zero on any failure.
"""

import argparse
import base64
import datetime
import json
import sys
import traceback
import urllib.error
import urllib.request

import cloudflare
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

KEY_B64 = "1pyl6I1tL7xfJuFYVzXlUW8uXXlpxegHXBzGCBKaSFA="


class Checker:
    """Runs named checks, counts passes and failures."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, fn):
        try:
            fn()
        except Exception:  # noqa: BLE001 - every failure is reported, none stops the run
            self.failed += 1
            print(f"FAIL {name}")
            traceback.print_exc(file=sys.stdout)
        else:
            self.passed += 1
            print(f"ok   {name}")


class Schemas:
    """Validators for the spec's response schemas, `$ref`s resolved in place."""

    def __init__(self, spec_path):
        with open(spec_path, encoding="utf-8") as f:
            spec = json.load(f)
        # OpenAPI 3.0 schemas are a Draft 4 dialect; the registry lets
        # `#/components/...` refs (including Message's recursive
        # error_chain) resolve against the whole document.
        resource = Resource.from_contents(spec, default_specification=DRAFT4)
        self.registry = Registry().with_resource("urn:spec", resource)
        self.validated = 0
        self.requests = 0

    def validate(self, name, instance):
        schema = {"$ref": f"urn:spec#/components/schemas/{name}"}
        OAS30Validator(schema, registry=self.registry).validate(instance)

    def validate_response(self, status, body):
        """Validates a body against the schema its status calls for."""
        self.validate("SettingsResponse" if 200 <= status < 300 else "FailureResponse", body)
        self.validated += 1

    def is_valid(self, name, instance):
        schema = {"$ref": f"urn:spec#/components/schemas/{name}"}
        return OAS30Validator(schema, registry=self.registry).is_valid(instance)


def parse_timestamp(text):
    assert isinstance(text, str) and text.endswith("Z") and "." in text, text
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("base-url", "token", "account", "other-account", "email", "key", "spec"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    schemas = Schemas(args.spec)
    check = Checker()
    settings_url = f"{args.base_url}/accounts/{args.account}/gateway/audit_ssh_settings"

    def raw(method, url, headers=None, body=None):
        """One request with urllib: (status, headers, parsed JSON body)."""
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        schemas.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, headers, body = response.status, response.headers, json.loads(response.read())
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, json.loads(error.read())
        schemas.validate_response(status, body)
        return status, headers, body

    def validating_http_client():
        """An httpx client for the SDK that validates every body it receives."""

        def on_response(response):
            response.read()
            schemas.validate_response(response.status_code, json.loads(response.content))

        def on_request(_request):
            schemas.requests += 1

        return cloudflare.DefaultHttpxClient(event_hooks={"request": [on_request], "response": [on_response]})

    def sdk_client(**credentials):
        return cloudflare.Cloudflare(
            **credentials, base_url=args.base_url, max_retries=0, http_client=validating_http_client()
        )

    bearer = {"Authorization": f"Bearer {args.token}"}
    client = sdk_client(api_token=args.token)
    ssh = client.zero_trust.gateway.audit_ssh_settings
    state = {}

    def sdk_get_initial():
        response = ssh.with_raw_response.get(account_id=args.account)
        schemas.validate("SettingsResponse", json.loads(response.text()))
        settings = response.parse()
        assert settings.seed_id and len(settings.seed_id) == 36, settings
        assert isinstance(settings.created_at, datetime.datetime), settings
        assert settings.updated_at >= settings.created_at
        assert settings.public_key is None, settings
        state["initial"] = settings

    def sdk_update():
        response = ssh.with_raw_response.update(account_id=args.account, public_key=KEY_B64)
        schemas.validate("SettingsResponse", json.loads(response.text()))
        settings = response.parse()
        assert settings.public_key == KEY_B64, settings
        assert settings.seed_id == state["initial"].seed_id
        assert settings.created_at == state["initial"].created_at
        assert settings.updated_at > state["initial"].updated_at
        state["updated"] = settings

    def sdk_rotate_seed():
        response = ssh.with_raw_response.rotate_seed(account_id=args.account)
        schemas.validate("SettingsResponse", json.loads(response.text()))
        settings = response.parse()
        assert settings.seed_id != state["updated"].seed_id, settings
        assert settings.public_key == KEY_B64
        assert settings.created_at == state["initial"].created_at
        assert settings.updated_at > state["updated"].updated_at
        state["rotated"] = settings

    def sdk_plain_methods():
        # The unwrapped methods return the `result` object itself.
        got = ssh.get(account_id=args.account)
        assert got == state["rotated"], (got, state["rotated"])
        again = ssh.rotate_seed(account_id=args.account)
        assert again.seed_id != got.seed_id
        assert ssh.update(account_id=args.account, public_key=KEY_B64).public_key == KEY_B64

    def sdk_api_key_auth():
        legacy = sdk_client(api_email=args.email, api_key=args.key)
        got = legacy.zero_trust.gateway.audit_ssh_settings.get(account_id=args.account)
        assert got.public_key == KEY_B64, got

    def sdk_bad_token():
        bad = sdk_client(api_token="not-a-real-token")
        try:
            bad.zero_trust.gateway.audit_ssh_settings.get(account_id=args.account)
        except cloudflare.PermissionDeniedError as error:
            assert error.status_code == 403
            assert error.body["errors"][0]["code"] == 10000, error.body
            assert [e.code for e in error.errors] == [10000]
            schemas.validate("FailureResponse", error.body)
        else:
            raise AssertionError("a bad token was accepted")

    def sdk_other_account():
        try:
            ssh.get(account_id=args.other_account)
        except cloudflare.PermissionDeniedError as error:
            assert error.body["errors"][0]["code"] == 9109, error.body
        else:
            raise AssertionError("an account outside the token's reach was served")

    def raw_successes():
        status, headers, body = raw("GET", settings_url, bearer)
        assert status == 200
        schemas.validate("SettingsResponse", body)
        assert list(body) == ["errors", "messages", "success", "result"], list(body)
        for field in ("created_at", "updated_at"):
            parse_timestamp(body["result"][field])
        ray = headers["cf-ray"]
        assert len(ray) == 20 and ray.endswith("-EMU") and int(ray[:16], 16) >= 0, ray
        assert headers["ratelimit"].startswith('"default";r='), headers["ratelimit"]
        assert headers["ratelimit-policy"].startswith('"default";q='), headers["ratelimit-policy"]
        assert headers["content-type"] == "application/json"
        put_body = json.dumps({"public_key": base64.b64encode(bytes(32)).decode()}).encode()
        status, _, body = raw("PUT", settings_url, {**bearer, "Content-Type": "application/json"}, put_body)
        assert status == 200 and body["result"]["public_key"] == "A" * 43 + "=", body
        schemas.validate("SettingsResponse", body)
        status, _, body = raw("POST", f"{settings_url}/rotate_seed", bearer, b"")
        assert status == 200, body
        schemas.validate("SettingsResponse", body)

    def raw_failures():
        other_url = settings_url.replace(args.account, args.other_account)
        cases = [
            ("GET", settings_url, {}, None, 400, 9106),
            ("GET", settings_url, {"Authorization": "Token abc"}, None, 400, 6003),
            ("GET", settings_url, {"X-Auth-Email": "nobody"}, None, 400, 6003),
            ("GET", settings_url, {"Authorization": "Bearer wrong"}, None, 403, 10000),
            ("GET", other_url, bearer, None, 403, 9109),
            ("GET", settings_url.replace(args.account, "not-an-id"), bearer, None, 404, 7003),
            ("GET", f"{args.base_url}/zones", bearer, None, 404, 7000),
            ("PUT", settings_url, bearer, b"{not json", 400, 10001),
            ("PUT", settings_url, bearer, b'{"public_key": "abc"}', 400, 2001),
            ("DELETE", settings_url, bearer, None, 405, 7001),
        ]
        for method, url, headers, body, want_status, want_code in cases:
            status, _, answer = raw(method, url, headers, body)
            assert (status, answer["errors"][0]["code"]) == (want_status, want_code), (method, url, answer)
            schemas.validate("FailureResponse", answer)
            if want_code == 6003:
                chain = answer["errors"][0]["error_chain"]
                assert chain and all(m["code"] in (6111, 6102, 6103) for m in chain), chain

    def validator_is_not_vacuous():
        wrong = {"errors": [], "messages": [], "success": True, "result": {"seed_id": 42}}
        assert not schemas.is_valid("SettingsResponse", wrong)
        assert not schemas.is_valid("SettingsResponse", {**wrong, "result": {}, "success": False})
        failure = {"errors": [{"code": 10000, "message": "x"}], "messages": [], "success": False, "result": None}
        assert schemas.is_valid("FailureResponse", failure)
        assert not schemas.is_valid("FailureResponse", {**failure, "success": True})
        assert not schemas.is_valid("FailureResponse", {**failure, "result": None, "errors": [{"code": 5}]})
        nested = {"code": 6003, "message": "x", "error_chain": [{"code": "6111"}]}
        assert not schemas.is_valid("FailureResponse", {**failure, "errors": [nested]})

    for name, fn in [
        ("sdk get: initial settings", sdk_get_initial),
        ("sdk update: public_key stored", sdk_update),
        ("sdk rotate_seed: new seed_id", sdk_rotate_seed),
        ("sdk plain get/rotate_seed/update", sdk_plain_methods),
        ("sdk email + key auth", sdk_api_key_auth),
        ("sdk bad token: PermissionDeniedError 10000", sdk_bad_token),
        ("sdk other account: 9109", sdk_other_account),
        ("raw successes match SettingsResponse", raw_successes),
        ("raw failures match FailureResponse", raw_failures),
        ("schema validator rejects wrong shapes", validator_is_not_vacuous),
    ]:
        check.run(name, fn)
    def every_body_validated():
        assert schemas.requests > 20 and schemas.validated == schemas.requests, (
            schemas.validated,
            schemas.requests,
        )

    check.run("every response body was validated", every_body_validated)
    print(f"{check.passed} passed, {check.failed} failed")
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
