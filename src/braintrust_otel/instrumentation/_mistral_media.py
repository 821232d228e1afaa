"""Mistral's document and audio endpoints: OCR, transcriptions (and their stream), speech.

The request and result mappings :mod:`.mistral` wires into its specs; documents and
audio go in or come out as attachments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..attachments import Attachment
from ._llm import LLMCall, dump, get
from ._mistral_common import _params, _set, _usage


def _ocr_request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    document = dump(kwargs.get("document"))
    params = _params({k: v for k, v in kwargs.items() if k != "document"}, None)
    kind = get(document, "type")
    if isinstance(kind, str) and kind:
        params["document_type"] = kind
    # A document sent inline (a data URL) becomes an attachment, as images do.
    return kwargs.get("model"), {"document": document}, params


def _ocr_finish(call: LLMCall, response: Any) -> None:
    pages = [dump(p) for p in get(response, "pages") or []]
    output: dict[str, Any] = {"pages": pages}
    if _set(get(response, "document_annotation")):
        output["document_annotation"] = get(response, "document_annotation")
    usage = dump(get(response, "usage_info"))
    metrics = {k: v for k, v in usage.items() if isinstance(v, (int, float))
               and not isinstance(v, bool)} if isinstance(usage, Mapping) else {}
    call.finish(output=output, usage=metrics, response_model=get(response, "model"),
                metadata={"page_count": len(pages)})


def _audio_file(file: Any) -> Any:
    """A transcription's ``file`` (Mistral's ``File``: name, content, type) as an
    Attachment, or ``"[audio]"`` when its bytes cannot be read without consuming them."""
    content = get(file, "content")
    name = get(file, "file_name") or getattr(content, "name", None) or "input_audio.bin"
    name = str(name).rsplit("/", 1)[-1]
    data: Any = None
    if isinstance(content, (bytes, bytearray)):
        data = bytes(content)
    elif all(hasattr(content, a) for a in ("read", "seek", "tell")):
        start = content.tell()
        data = content.read()
        content.seek(start)  # the request still has to send it
    if not isinstance(data, bytes):
        return "[audio]"
    content_type = get(file, "content_type")
    if not isinstance(content_type, str) or not content_type:
        import mimetypes

        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Attachment(data, filename=name, content_type=content_type)


def _transcription_request(stream: bool) -> Any:
    def request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
        value: dict[str, Any] = {}
        if _set(kwargs.get("file")):
            value["file"] = _audio_file(kwargs["file"])
        for key in ("file_url", "file_id"):
            if _set(kwargs.get(key)):
                value[key] = kwargs[key]
        params = _params({k: v for k, v in kwargs.items()
                          if k not in ("file", "file_url", "file_id")}, stream)
        return kwargs.get("model"), value or None, params
    return request


def _transcription_metadata(response: Any) -> dict[str, Any]:
    metadata = {k: get(response, k) for k in ("language", "finish_reason")
                if _set(get(response, k))}
    segments = get(response, "segments")
    if isinstance(segments, list):
        metadata["segments_count"] = len(segments)
    return metadata


def _transcription_finish(call: LLMCall, response: Any) -> None:
    text = get(response, "text")
    call.finish(output=text if isinstance(text, str) else None,
                usage=_usage(get(response, "usage")), response_model=get(response, "model"),
                metadata=_transcription_metadata(response))


def _transcription_stream_done(call: LLMCall, events: list[Any]) -> None:
    parts: list[str] = []
    done: Any = None
    for event in events:
        data = get(event, "data")
        if get(event, "event") == "transcription.text.delta" and isinstance(
                get(data, "text"), str):
            parts.append(get(data, "text"))
        elif get(event, "event") == "transcription.done":
            done = data
    text = get(done, "text")
    call.finish(output=text if isinstance(text, str) else "".join(parts),
                usage=_usage(get(done, "usage")), response_model=get(done, "model"),
                metadata=_transcription_metadata(done))


def _speech_request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    params = _params({k: v for k, v in kwargs.items() if k != "input"},
                     bool(kwargs.get("stream")))
    return kwargs.get("model"), kwargs.get("input"), params


def _speech_output(audio: Any, response_format: Any) -> dict[str, Any]:
    """Generated speech (base64 from Mistral) as an audio part with an Attachment."""
    fmt = str(getattr(response_format, "value", response_format) or "").lower()
    mime = _AUDIO_TYPES.get(fmt, f"audio/{fmt}" if fmt else "application/octet-stream")
    out: dict[str, Any] = {"type": "audio", "mime_type": mime}
    if isinstance(audio, str) and audio:
        import base64

        try:
            data = base64.b64decode(audio, validate=False)
        except Exception:
            return out
        name = f"generated_speech.{fmt or 'bin'}"
        out["audio_size_bytes"] = len(data)
        out["file"] = {"file_data": Attachment(data, filename=name, content_type=mime),
                       "filename": name}
    return out


_AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "pcm": "audio/pcm",
                "flac": "audio/flac", "opus": "audio/opus"}


def _speech_finish(call: LLMCall, response: Any) -> None:
    call.finish(output=_speech_output(get(response, "audio_data"),
                                      call.request_metadata.get("response_format")),
                usage=_usage(get(response, "usage")))


def _speech_stream_done(call: LLMCall, events: list[Any]) -> None:
    audio, usage = [], None
    for event in events:
        data = get(event, "data")
        if get(event, "event") == "speech.audio.delta" and isinstance(
                get(data, "audio_data"), str):
            audio.append(get(data, "audio_data"))
        elif get(event, "event") == "speech.audio.done":
            usage = get(data, "usage") or usage
    call.finish(output=_speech_output("".join(audio),
                                      call.request_metadata.get("response_format")),
                usage=_usage(usage))
