"""Attachments: logged inside values, uploaded off the hot path, read back byte for byte."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

import braintrust
from braintrust import Attachment, ExternalAttachment, ReadonlyAttachment
from tests.conftest import StoreHelper

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def test_attachment_in_a_span_is_stored_by_content_hash(store: StoreHelper,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello attachment")
    image = Attachment(PNG, filename="pic.png")
    notes = Attachment(path)
    assert notes.content_type == "text/plain" and notes.filename == "notes.txt"
    logger = braintrust.init_logger(project="p")
    logger.log(input={"image": image, "notes": [notes]}, output="ok")
    braintrust.flush()
    [row] = store.rows()
    assert row["input"]["image"] == image.reference
    assert row["input"]["image"]["type"] == "braintrust_attachment"
    assert row["input"]["notes"][0]["filename"] == "notes.txt"
    assert image.status() == {"upload_status": "done"}
    assert store.store.get_attachment(image.reference["key"]) == PNG
    files = list(store.store.attachment_dir.rglob("*"))
    assert any(f.is_file() and f.read_bytes() == PNG for f in files)


def test_dataset_records_read_back_as_readonly_attachments(store: StoreHelper) -> None:
    ds = braintrust.init_dataset(project="p", name="files")
    ds.insert(input={"file": Attachment(PNG, filename="a.png")}, expected="x",
              metadata={"link": ExternalAttachment("https://example.invalid/a.pdf", "a.pdf",
                                                   "application/pdf")})
    braintrust.flush()
    [record] = ds.fetch()
    read = record["input"]["file"]
    assert isinstance(read, ReadonlyAttachment)
    assert read.data == PNG
    assert read.metadata() == {"filename": "a.png", "content_type": "image/png"}
    assert isinstance(record["metadata"]["link"], ReadonlyAttachment)
    assert record["metadata"]["link"].reference["url"] == "https://example.invalid/a.pdf"


def test_bad_attachments_fail_at_construction(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="data must be bytes or a file path"):
        Attachment(123)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="is not a file"):
        Attachment(tmp_path / "missing.bin")
    with pytest.raises(ValueError, match="content_type is needed"):
        Attachment(b"x", filename="blob.unknownext")
    with pytest.raises(ValueError, match="url must be"):
        ExternalAttachment("not a url", "f", "text/plain")


def test_data_urls_in_llm_messages_become_attachments(store: StoreHelper) -> None:
    from braintrust_otel.attachments import extract_data_urls

    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    messages = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}},
                                             {"type": "text", "text": "what is this?"}]}]
    out = extract_data_urls(messages)
    found = out[0]["content"][0]["image_url"]["url"]
    assert isinstance(found, Attachment) and found.data == PNG
    assert found.content_type == "image/png"
    assert out[0]["content"][1] == {"type": "text", "text": "what is this?"}
    assert extract_data_urls("data:image/png;base64,AAAA") == "data:image/png;base64,AAAA"


def test_attachments_against_the_service(api: object, fake: object) -> None:
    from tests.fake_braintrust import FakeBraintrust

    assert isinstance(fake, FakeBraintrust)
    attachment = Attachment(PNG, filename="pic.png")
    logger = braintrust.init_logger(project="svc")
    row_id = logger.log(input={"image": attachment})
    assert braintrust.flush() is True
    key = attachment.reference["key"]
    assert fake.rows[row_id]["input"]["image"] == attachment.reference
    assert fake.uploads[key] == PNG
    put = next(r for r in fake.requests if r["path"] == f"/upload/{key}")
    assert "Authorization" not in put["headers"]
    assert fake.attachment_status[key] == {"upload_status": "done"}
    request = next(r for r in fake.requests if r["path"] == "/attachment")
    assert request["body"]["filename"] == "pic.png"
    assert request["body"]["content_type"] == "image/png"
    assert request["body"]["org_id"]
    assert ReadonlyAttachment(attachment.reference).data == PNG


def test_failed_uploads_are_retried_and_reported(store: StoreHelper, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from braintrust import _state
    from braintrust_otel.sinks.local import LocalSink

    calls: list[str] = []

    class Flaky(LocalSink):
        def upload_attachment(self, reference: dict, data: bytes) -> None:  # type: ignore[type-arg]
            calls.append(reference["filename"])
            if reference["filename"] == "never.png" or len(calls) == 1:
                raise OSError("disk unplugged")
            super().upload_attachment(reference, data)

    _state.exporter().sink = Flaky(tmp_path / "flaky.sqlite", notice=False)
    logger = braintrust.init_logger(project="p")
    once = Attachment(PNG, filename="once.png")
    logger.log(input=once)
    braintrust.flush()
    assert once.status() == {"upload_status": "done"}
    never = Attachment(PNG, filename="never.png")
    logger.log(input=never)
    braintrust.flush()
    status = never.status()
    assert status["upload_status"] == "error" and "disk unplugged" in status["error_message"]
    assert calls.count("never.png") == 3
    assert "could not upload attachment 'never.png'" in capsys.readouterr().err


def test_upload_statuses_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from braintrust_otel import attachments

    monkeypatch.setattr(attachments, "_MAX_STATUS", 3)
    monkeypatch.setattr(attachments, "_status", {})
    for key in ("a", "b", "c", "d"):
        attachments._remember(key, {"upload_status": "done"})
    attachments._remember("e", {"upload_status": "error", "error_message": "x"})
    assert list(attachments._status) == ["c", "d", "e"]


def test_upload_now_reference_and_debug_info(store: StoreHelper, tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("uploaded eagerly")
    from_file = Attachment(data=str(path), filename="report.txt", content_type="text/plain")
    in_memory = Attachment(data=PNG, filename="pic.png", content_type="image/png")
    assert from_file.debug_info() == {"input_data": str(path),
                                      "reference": from_file.reference}
    assert in_memory.debug_info()["input_data"] == "<in-memory data>"
    assert from_file.reference == {"type": "braintrust_attachment", "filename": "report.txt",
                                   "content_type": "text/plain",
                                   "key": from_file.reference["key"]}
    assert from_file.upload() == {"upload_status": "done"}
    assert store.store.get_attachment(from_file.reference["key"]) == b"uploaded eagerly"
    assert from_file.upload() == {"upload_status": "done"}  # once; the result is kept
    # Logged after upload(): the reference goes in the row, nothing is queued again.
    braintrust.init_logger(project="p").log(input={"file": from_file})
    braintrust.flush()
    assert store.rows()[0]["input"]["file"] == from_file.reference
    external = ExternalAttachment(url="https://example.invalid/a.pdf", filename="a.pdf",
                                  content_type="application/pdf")
    assert external.upload() == {"upload_status": "done"}
    assert external.debug_info() == {"reference": external.reference}


def test_upload_failure_is_a_status_not_an_exception(store: StoreHelper) -> None:
    from braintrust_otel import attachments

    attachment = Attachment(data=b"x", filename="x.bin",
                            content_type="application/octet-stream")
    attachments.set_target(lambda: None)  # nowhere to upload to
    try:
        status = attachment.upload()
    finally:
        attachments.set_target(lambda: braintrust._state.exporter().sink)
    assert status["upload_status"] == "error"
    assert "no attachment target" in status["error_message"]
    assert attachment.status() == status


def test_upload_on_the_service(api: object, fake: object) -> None:
    from tests.fake_braintrust import FakeBraintrust

    assert isinstance(fake, FakeBraintrust)
    attachment = Attachment(data=PNG, filename="pic.png", content_type="image/png")
    assert attachment.upload() == {"upload_status": "done"}
    key = attachment.reference["key"]
    assert fake.uploads[key] == PNG
    assert fake.attachment_status[key] == {"upload_status": "done"}
    request = next(r for r in fake.requests if r["path"] == "/attachment")
    assert request["body"]["filename"] == "pic.png" and request["body"]["key"] == key
