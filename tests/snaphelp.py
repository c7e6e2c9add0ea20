"""Planted secrets shared by the snapshot tests (none may appear in any output)."""
from __future__ import annotations

# Every secret planted below; none may appear in any output.
SECRETS = {
    "github": "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "github_pat": "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
    "gitlab": "glpat-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm",
    "slack": "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "aws_id": "AKIA" + "IOSFODNN7EXAMPLE",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",
    "google": "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    "openai": "sk-proj-" + "T3BlbkFJabcdefghijklmnopqrstuvwxyz012345",
    "hf": "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi",
    "jwt": "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiJhbGljZSIsImV4cCI6OTk5OTk5OTk5OX0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "globus": "Ag" + "kXr4Vn0q3zWbY7pLmT2sD9fH6jK1cE5gA8uR0oI3yN4vB7xM2zQ6wS9tL1aP5dFhJq",
    "proxy_pw": "Pr0xyPassw0rd!x",
    "pypi": "pypi-" + "AgEIcHlwaS5vcmcCJDk3ZDAwYWJjLTEyMzQtNDU2Ny04OTBhLWJjZGVmMDEyMzQ1Ng",
    "netrc_pw": "n3trcS3cretValue",
    "generic_pw": "hunter2-Sup3rSecret",
    "api_key": "k3y-0f-the-api-9d8c7b6a",
    "bearer": "bEaReR0123456789tokenvalue",
    "private_key_body": "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0",
    "db_secret_env": "valueOfASecretEnvVar42",
    "condarc_pw": "C0ndaPr0xyPw",
}

PRIVATE_KEY = ("-----BEGIN RSA PRIVATE KEY-----\n" + SECRETS["private_key_body"] + "\n"
               "7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh\n"
               "-----END RSA PRIVATE KEY-----\n")


def leaked(text: str) -> list[str]:
    """The planted secrets that appear in `text`."""
    return [name for name, value in SECRETS.items() if value in text]
