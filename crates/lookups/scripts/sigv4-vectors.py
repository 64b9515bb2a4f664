#!/usr/bin/env python3
"""Regenerates the botocore golden for src/aws.rs (test `get_secret_value_signature_matches_botocore`).

Signs the exact GetSecretValue request the lookup builds (fixed date, fake credentials, a session
token, a non-default port) with botocore's own SigV4Auth and prints the Authorization header.
Run with the oracle venv after scripts/setup.sh:  "$(scripts/setup.sh)/python" scripts/sigv4-vectors.py
"""
import datetime
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

body = '{"SecretId":"app/db","VersionStage":"AWSPREVIOUS"}'
request = AWSRequest(
    method="POST",
    url="http://127.0.0.1:5000/",
    data=body.encode(),
    headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "secretsmanager.GetSecretValue",
    },
)
creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "SESSIONTOKENEXAMPLE")
fixed = datetime.datetime(2015, 8, 30, 12, 36, 0)
with mock.patch("botocore.auth.get_current_datetime", return_value=fixed):
    SigV4Auth(creds, "secretsmanager", "eu-west-1").add_auth(request)
print(request.headers["Authorization"])
