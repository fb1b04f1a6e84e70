"""Fault injection at the botocore level: AWS answers an error instead of moto, for chosen calls.

The fault replaces the HTTP answer *below* botocore's retry logic (Endpoint._do_get_response), so
the code under test meets it exactly as it would meet AWS: botocore parses the error, retries what
AWS says is retryable (throttling, 5xx) with its back-off, and raises `ClientError` (pynamodb wraps
it) when the retries are spent. Nothing of affiche is replaced. Every other call goes to moto.

    with inject(Fault("dynamodb", "TransactWriteItems", "ThrottlingException", times=2)) as log:
        ...
    assert log.injected == 2
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.endpoint import Endpoint, convert_to_response_dict


@dataclass
class Fault:
    service: str  # botocore's service name: dynamodb, s3, sesv2, sqs
    operation: str  # TransactWriteItems, PutObject, SendEmail...
    code: str  # the AWS error code, e.g. ProvisionedThroughputExceededException
    status: int = 400
    times: int | None = None  # how many calls fail; None: every one
    extra: dict[str, Any] = field(default_factory=dict)  # more error fields (CancellationReasons)
    message: str = "injected fault"


def cancelled(*codes: str, times: int | None = None) -> Fault:
    """TransactWriteItems cancelled, one reason per item ("None", "TransactionConflict", ...)."""
    reasons = [{"Code": code} if code == "None" else {"Code": code, "Message": f"{code} (test)"}
               for code in codes]
    return Fault("dynamodb", "TransactWriteItems", "TransactionCanceledException", times=times,
                 extra={"CancellationReasons": reasons},
                 message=f"Transaction cancelled, please refer cancellation reasons for "
                         f"specific reasons [{', '.join(codes)}]")


@dataclass
class FaultLog:
    faults: list[Fault]
    injected: int = 0
    calls: list[str] = field(default_factory=list)  # "service.Operation" of each injected fault


class _Body:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.content


def _error_answer(fault: Fault, protocol: str, url: str) -> AWSResponse:
    headers = {"x-amzn-RequestId": "injected", "x-amz-request-id": "injected"}
    if protocol == "json":
        headers["Content-Type"] = "application/x-amz-json-1.0"
        body = json.dumps({"__type": f"com.amazonaws.injected#{fault.code}",
                           "message": fault.message, **fault.extra}).encode()
    elif protocol == "rest-json":
        headers.update({"Content-Type": "application/json", "x-amzn-ErrorType": fault.code})
        body = json.dumps({"message": fault.message, **fault.extra}).encode()
    else:  # rest-xml, query
        headers["Content-Type"] = "application/xml"
        body = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{fault.code}</Code>"
                f"<Message>{fault.message}</Message><RequestId>injected</RequestId>"
                f"</Error>").encode()
    return AWSResponse(url, fault.status, headers, _Body(body))


@contextmanager
def inject(*faults: Fault) -> Iterator[FaultLog]:
    log = FaultLog(list(faults))
    real = Endpoint._do_get_response
    remaining = {id(f): f.times for f in faults}

    def answer(self: Endpoint, request: Any, operation_model: Any, context: Any) -> Any:
        service = operation_model.service_model.service_name
        for fault in faults:
            left = remaining[id(fault)]
            if (fault.service, fault.operation) != (service, operation_model.name) or left == 0:
                continue
            if left is not None:
                remaining[id(fault)] = left - 1
            log.injected += 1
            log.calls.append(f"{service}.{operation_model.name}")
            protocol = operation_model.service_model.resolved_protocol
            http = _error_answer(fault, protocol, request.url)
            response = convert_to_response_dict(http, operation_model)
            parser = self._response_parser_factory.create_parser(protocol)
            parsed = parser.parse(response, operation_model.output_shape)
            self._add_modeled_error_fields(response, parsed, operation_model, parser)
            return (http, parsed), None
        return real(self, request, operation_model, context)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Endpoint, "_do_get_response", answer)
        yield log
