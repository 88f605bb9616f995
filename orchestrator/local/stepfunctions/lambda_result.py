"""The result of an optimized `arn:aws:states:::lambda:invoke` task as Step Functions gives it.

"Invoke an AWS Lambda function with Step Functions" (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html)
shows the function's output nested in Lambda's Invoke response and the SDK's metadata of that call:

    {"ExecutedVersion": "$LATEST", "Payload": ..., "StatusCode": 200,
     "SdkHttpMetadata": {"HttpHeaders": {"Content-Type": "application/json", "x-amzn-RequestId": "...", ...},
                         "HttpStatusCode": 200},
     "SdkResponseMetadata": {"RequestId": "..."}}

(AWS also sends `AllHttpHeaders`, each header's values as a list.) moto 5.2.5 keeps only the fields of Invoke's
response shape: it passes boto3's answer through `select_from_typed_dict(InvocationResponse, ...)`, which drops
`ResponseMetadata`. The seam (`LAMBDA_RESULT_SDK_METADATA`) is that function as `lambda_eval_utils` calls it: moto's
selection, plus the metadata in Step Functions' form. A `Resource` that is a function's ARN takes the Payload alone
from the same answer, as on AWS.

The headers are the ones Lambda's Invoke answers, in the casing Step Functions shows them; the request id is moto's.
"""

from __future__ import annotations

from typing import Any, Final

from orchestrator.local import seams
from orchestrator.local.seams import SeamSet
from orchestrator.local.seams import services as declared

# Lambda Invoke's response headers, as botocore lowercases them -> as Step Functions shows them.
_INVOKE_HEADERS: Final[dict[str, str]] = {
    "connection": "Connection",
    "content-length": "Content-Length",
    "content-type": "Content-Type",
    "date": "Date",
    "x-amz-executed-version": "X-Amz-Executed-Version",
    "x-amz-function-error": "X-Amz-Function-Error",
    "x-amz-log-result": "X-Amz-Log-Result",
    "x-amzn-remapped-content-length": "x-amzn-Remapped-Content-Length",
    "x-amzn-requestid": "x-amzn-RequestId",
    "x-amzn-trace-id": "X-Amzn-Trace-Id",
}
# What Lambda's endpoint always adds (the connection, and a remapped length it never uses).
_ENDPOINT_HEADERS: Final[dict[str, str]] = {"Connection": "keep-alive", "x-amzn-Remapped-Content-Length": "0"}


def bind_lambda_result(seam_set: SeamSet) -> None:
    """Binds the lambda:invoke result with its SDK metadata into `seam_set`."""
    select = seams.read("moto.utilities.collections.select_from_typed_dict")

    def with_sdk_metadata(typed_dict: Any, obj: Any, filter: bool = False) -> Any:
        selected = select(typed_dict, obj, filter)
        metadata = obj.get("ResponseMetadata") if isinstance(obj, dict) else None
        return {**selected, **sdk_metadata(metadata)} if metadata else selected

    seam_set.replace(declared.LAMBDA_RESULT_SDK_METADATA, with_sdk_metadata)


def sdk_metadata(response_metadata: dict[str, Any]) -> dict[str, Any]:
    """boto3's `ResponseMetadata` of a Lambda Invoke as Step Functions' `SdkHttpMetadata` and `SdkResponseMetadata`."""
    received = response_metadata.get("HTTPHeaders", {})
    headers = _ENDPOINT_HEADERS | {shown: received[name] for name, shown in _INVOKE_HEADERS.items() if name in received}
    headers = dict(sorted(headers.items(), key=lambda item: item[0].lower()))
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": {name: [value] for name, value in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": response_metadata.get("HTTPStatusCode", 200),
        },
        "SdkResponseMetadata": {"RequestId": response_metadata.get("RequestId", "")},
    }
