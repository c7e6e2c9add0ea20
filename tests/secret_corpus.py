"""The secret corpus: every shape of credential envdoctor must never print.

Each Shape is a secret VALUE (what must never appear in any output) and the LINE it
typically appears in (a log line, a dotfile line, a command line). The values are built by
concatenation so that no scanner mistakes this file for a leak; each is unique, and none is
a substring of another. ORDINARY lists text that must survive redaction unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List

H40 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"  # 40 hex (wandb keys look like this)
H32 = "5d41402abc4b2a76b9719d911017c592"


@dataclass(frozen=True)
class Shape:
    name: str
    secret: str
    line: str  # contains {s}

    @property
    def text(self) -> str:
        return self.line.replace("{s}", self.secret)


def _pem(kind: str, body: str) -> str:
    return (f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n"
            "MIIEpAIBAAKCAQEA7bq98l5c0Zt7a0FhLx3DwPq4mJ9xRnM0aVb2Ye1UqPzS6tKcW\n"
            f"-----END {kind}PRIVATE KEY-----")


SHAPES: List[Shape] = [
    # tokens with a known prefix
    Shape("github classic PAT", "ghp_" + "R2d2C3poBb8Kx9LmNq4VwT7yZa1Sd5Fg6Hj0", "git push with token {s} failed"),
    Shape("github oauth", "gho_" + "Qw3rTy7UiOp1AsDf5GhJk9LzXc2VbNm4Kl8P", "oauth token {s}"),
    Shape("github app", "ghs_" + "Zx8Cv7Bn6Mm5Ll4Kk3Jj2Hh1Gg0Ff9Dd8Ss7", "installation token {s}"),
    Shape("github fine-grained", "github_pat_" + "11AXYZW3Q0abcdEFGHijkl_mnopQRSTuvwxYZ0123456789abcdefGHIJKLmnopq",
          "pat {s}"),
    Shape("gitlab PAT", "glpat-" + "Kj8Hg7Fd6Sa5Qw4Er3Ty", "GITLAB access {s}"),
    Shape("gitlab runner", "glrt-" + "Mn4Bv5Cx6Za7Sd8Fg9Hj", "register --token {s}"),
    Shape("slack bot", "xoxb-" + "246813579024-135792468013-QwErTyUiOpAsDfGhJkLzXcVb", "slack {s}"),
    Shape("slack webhook", "T02468ACE/B13579BDF/" + "XyZ1a2B3c4D5e6F7g8H9i0Jk",
          "curl -X POST https://hooks.slack.com/services/{s} -d @msg.json"),
    Shape("discord webhook", "112233445566778899/" + "AbC-dEf_GhI-jKl_MnO-pQr_StU-vWx_Yz0-123_456-789_abc",
          "webhook = https://discord.com/api/webhooks/{s}"),
    Shape("aws access key id", "AKIA" + "Q3V7X2M9Z4W8R6T1", "aws_access_key_id = {s}"),
    Shape("aws secret key", "Zk9/Wq3Rt7Yp" + "1Lm5Nb8Vc2Xz4As6Df0Gh9Jk", "aws_secret_access_key={s}"),
    Shape("aws session token", "IQoJb3JpZ2luX2Vj" + "EPr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDx7Y",
          "export AWS_SESSION_TOKEN={s}"),
    Shape("aws presigned signature", "e3b0c44298fc1c149afbf4c8996fb924" + "27ae41e4649b934ca495991b7852b855",
          "GET https://bucket.s3.amazonaws.com/data.tar?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T000000Z"
          "&X-Amz-Expires=3600&X-Amz-Signature={s}"),
    Shape("aws presigned credential", "ASIA" + "J7K3L9M2N8P4Q6R1",
          "https://bucket.s3.amazonaws.com/k?X-Amz-Credential={s}%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"),
    Shape("aws presigned security token", "FwoGZXIvYXdzE" + "BYaDHk8s7d6f5g4h3j2k1l0",
          "https://b.s3.amazonaws.com/k?X-Amz-Security-Token={s}&X-Amz-Date=20240101T000000Z"),
    Shape("gcs signed url", "6a2f41a3c4a1" + "b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5",
          "https://storage.googleapis.com/bkt/obj?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature={s}"),
    Shape("azure sas", "Xq7%2Bz4R" + "8mN2pL5kJ9hG3fD6sA1%3D",
          "https://acct.blob.core.windows.net/c/b.bin?sv=2022-11-02&sp=r&se=2030-01-01T00:00:00Z&sig={s}"),
    Shape("azure storage account key", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6" + "IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
          "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={s};EndpointSuffix=core.windows.net"),
    Shape("azure service bus key", "c2hhcmVkYWNj" + "ZXNza2V5dmFsdWUwMTIzNDU2Nzg5",
          "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={s}"),
    Shape("google api key", "AIza" + "SyB7x2Kq9Lm4Np8Rs3Tv6Wy1Za5Cd0Ef2Gh", "maps key {s}"),
    Shape("google oauth access", "ya29." + "a0AfH6SMBx7Yq2Lp9Kd4Nf8Rs3Tv6Wy1Za5Cd0", "access {s}"),
    Shape("google client secret", "GOCSPX-" + "Ab12Cd34Ef56Gh78Ij90", "client {s}"),
    Shape("openai project key", "sk-proj-" + "Hh7Gg6Ff5Ee4Dd3Cc2Bb1Aa0Zz9Yy8Xx7Ww6", "OPENAI {s}"),
    Shape("anthropic key", "sk-ant-api03-" + "Pp9Oo8Ii7Uu6Yy5Tt4Rr3Ee2Ww1Qq0", "claude {s}"),
    Shape("huggingface token", "hf_" + "MnBvCxZlKjHgFdSaPoIuYtReWqAsDfGhJk", "huggingface-cli login --token {s}"),
    Shape("pypi token", "pypi-" + "AgEIcHlwaS5vcmcCJGQ5ZjE4YzI0LTc3ZjEtNGQ1ZS1hYjYxLTBiM2M0ZDVlNmY3OA",
          "twine upload -p {s}"),
    Shape("npm token", "npm_" + "Zq9Xw8Cv7Bn6Mm5Ll4Kk3Jj2Hh1Gg0Ff9Dd8S", "//registry.npmjs.org/:_authToken={s}"),
    Shape("docker hub pat", "dckr_pat_" + "Xy7Wv6Ut5Sr4Qp3On2Ml1Kj0", "docker login -u alice --password-stdin <<< {s}"),
    Shape("sendgrid key", "SG." + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7O.Pq8Rs9Tu0Vw1Xy2Za3Bc4De5Fg6Hi7Jk8Lm9No0Pq1Rs2",
          "sendgrid {s}"),
    Shape("stripe live key", "sk_live_" + "51Hq2Lp9Kd4Nf8Rs3Tv6Wy1Z", "stripe {s}"),
    Shape("twilio api key", "SK" + "0123456789abcdef0123456789abcdef", "twilio {s}"),
    Shape("mailgun key", "key-" + "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "mailgun {s}"),
    Shape("digitalocean token", "dop_v1_" + "a1" * 32, "doctl auth init -t {s}"),
    Shape("databricks token", "dapi" + "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "databricks {s}"),
    Shape("vault token", "hvs." + "CAESIJq7Lp9Kd4Nf8Rs3Tv6Wy1Za5", "VAULT {s}"),
    Shape("telegram bot token", "7123456789:" + "AAHk9Lm4Np8Rs3Tv6Wy1Za5Cd0Ef2Gh7Jk9", "bot {s}"),
    Shape("shopify token", "shpat_" + "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "shopify {s}"),
    Shape("atlassian token", "ATATT" + "3xFfGF0Lp9Kd4Nf8Rs3Tv6Wy1Za5Cd0Ef2Gh7Jk9Mn", "jira {s}"),
    Shape("new relic key", "NRAK-" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0", "newrelic {s}"),
    Shape("age secret key", "AGE-SECRET-KEY-1" + "QQQQ2W3E4R5T6Y7U8I9O0PASDFGHJKLZXCVBNMQWERTYUIOPASDFG",
          "{s}"),
    Shape("jwt", "eyJhbGciOiJSUzI1NiJ9." + "eyJzdWIiOiJib2IiLCJleHAiOjE5OTk5OTk5OTl9.Tm9wZV9ub3BlX25vcGVfbm9wZQ",
          "id_token={s}"),
    # values known by their context
    Shape("globus access token (tokens.json)", "GlobusAcc" + "e55T0ken0123456789abcdef",
          '{"access_token": "{s}", "expires_at_seconds": 1900000000, "resource_server": "681c10cc"}'),
    Shape("globus refresh token (tokens.json)", "GlobusRefr" + "e5hT0ken9876543210fedcba",
          '{"refresh_token": "{s}", "token_type": "Bearer"}'),
    Shape("bearer header", "opaqueBearer" + "Value0123456789", "Authorization: Bearer {s}"),
    Shape("basic header", "YWxpY2U6" + "c2VjcmV0cGFzc3dvcmQ=", "Authorization: Basic {s}"),
    Shape("proxy authorization", "proxyCred" + "entialValue42", "Proxy-Authorization: {s}"),
    Shape("cookie header", "s%3Ajq8Lp9Kd" + "4Nf8Rs3Tv6Wy1Za5", "Cookie: sessionid={s}; theme=dark"),
    Shape("set-cookie header", "hostSession" + "Cookie7788", "Set-Cookie: __Host-session={s}; Path=/; Secure; HttpOnly"),
    Shape("curl -u", "curlUserPa" + "ssw0rd", "curl -fsSL -u alice:{s} https://repo.example.org/pkg.tar.gz"),
    Shape("curl --user", "curlLongUs" + "erPw99", "curl --user 'bob:{s}' https://repo.example.org/"),
    Shape("mysql -p", "MyS" + "qlRootPw77", "mysql -h db.example.org -u root -p{s} training"),
    Shape("sshpass -p", "SshP" + "assSecret55", "sshpass -p '{s}' ssh alice@gateway"),
    Shape("redis-cli -a", "RedisA" + "uthPw44", "redis-cli -h cache -a {s} ping"),
    Shape("proxy url password", "Pr0xy" + "Passw0rd!x", "export https_proxy=http://alice:{s}@proxy.alcf.anl.gov:3128"),
    Shape("git remote token", "oauthRem" + "oteTok3n0123456789", "url = https://oauth2:{s}@gitlab.example.org/team/repo.git"),
    Shape("pip index-url credentials", "PipIndex" + "Pw2024", "index-url = https://alice:{s}@pypi.example.org/simple"),
    Shape("postgres url", "PgUrlP" + "assw0rd", "DATABASE=postgresql://app:{s}@db.example.org:5432/app"),
    Shape("mongodb url", "MongoP" + "assw0rd", "mongodb+srv://svc:{s}@cluster0.example.mongodb.net/db"),
    Shape("redis url", "RedisUrlP" + "w123", "CACHE=redis://:{s}@cache.example.org:6379/0"),
    Shape("netrc password", "N3trc" + "S3cretValue", "machine github.com login alice password {s}"),
    Shape("PGPASSWORD", "PgEnvP" + "assw0rd9", "PGPASSWORD={s} psql -h db -U app"),
    Shape("--password=", "FlagEq" + "Passw0rd", "python train.py --password={s}"),
    Shape("--password X", "FlagSp" + "Passw0rd", "ldapsearch --password {s} -b dc=x"),
    Shape("--wandb-key", "WandbFl" + "agKey123", "python train.py --wandb-key {s} --epochs 2"),
    Shape("WANDB_API_KEY", "a94a8fe5ccb19ba6" + "1c4c0873d391e987982fbbd3", "export WANDB_API_KEY={s}"),
    Shape("wandb login", "356a192b7913b04c" + "54574d18c28d46e6395428ab", "wandb login {s}"),
    Shape("kaggle.json key", "0cc175b9c0f1b6a8" + "31c399e269772661", '{"username": "alice", "key": "{s}"}'),
    Shape("docker config auth", "YWxpY2U6ZG9ja2Vy" + "SHViUGFzc3dvcmQ=", '"auths": {"https://index.docker.io/v1/": {"auth": "{s}"}}'),
    Shape("dict literal password", "DictLit" + "Pw42", "conn = connect(**{'password': '{s}', 'user': 'alice'})"),
    Shape("dict literal passwd", "DictPas" + "swd43", 'cfg = {"passwd": "{s}", "host": "db"}'),
    Shape("conda channel token", "ab-1a2b3c4d" + "-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
          "channel_alias: https://conda.anaconda.org/t/{s}/ourchannel"),
    Shape("api_key assignment", "ApiKey" + "Value77", "api_key = '{s}'"),
    Shape("client_secret", "ClientS" + "ecretValue", "client_secret: {s}"),
    Shape("x-api-key header", "XApiKey" + "HeaderValue", "X-API-Key: {s}"),
    Shape("gitlab private-token header", "PrivTok" + "HeaderValue", "PRIVATE-TOKEN: {s}"),
    Shape("openssl pass", "OpensslP" + "ass99", "openssl enc -aes-256-cbc -in a -out b -pass pass:{s}"),
    Shape("secret-named variable", "AnyValue" + "AtAll314", "export MY_SERVICE_TOKEN={s}"),
    Shape("rsa private key", "MIIEowIBAAKCAQEAuRsa" + "BodyLine0123456789abcdef", _pem("RSA ", "{s}")),
    Shape("openssh private key", "b3BlbnNzaC1rZXktdjE" + "OpenSSHBodyLine0123", _pem("OPENSSH ", "{s}")),
    Shape("ec private key", "MHcCAQEEIEcBodyLine" + "0123456789abcdefABC", _pem("EC ", "{s}")),
]

# Text that must come out unchanged (no false positives).
ORDINARY = [
    "commit 3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345",
    "HEAD is now at 3f2a9c1 Release 2.3.0",
    "torch==2.1.0+cpu numpy>=1.26.4 poptorch-3.3.0+125342",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  torch-2.1.0.whl",
    "/software/cerebras/venvs/R_2.3.0/lib/python3.8/site-packages",
    "PWD=/home/alice/R_2.3.0",
    "python -u train.py --epochs 2 --lr 0.01",
    "docker run -u 1000:1000 image:latest",
    "tokenizer=bert-base-uncased max_tokens=128",
    "3 passed, 0 failed in 2.31s",
    "https://github.com/Cerebras/modelzoo.git",
    "git@github.com:graphcore/examples.git",
    "http://proxy.alcf.anl.gov:3128",
    "export HF_HOME=/projects/datasets/hf",
    "uuid 123e4567-e89b-12d3-a456-426614174000",
    "Epoch 1/2 step 100 loss=0.6931 samples/sec=1234.5",
    "-----BEGIN PUBLIC KEY-----",
    "cookie policy: see https://example.org/privacy",
]

assert len(SHAPES) >= 60, len(SHAPES)
assert len({s.secret for s in SHAPES}) == len(SHAPES)
