"""login(): the official parameter order, and harmless without an API key."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_python, stored_rows
from tests.fake_braintrust import GOOD_KEY, FakeBraintrust


def test_positional_order_is_app_url_then_api_key(tmp_path: Path) -> None:
    with FakeBraintrust() as fake:
        done = run_python(f"""
            import braintrust
            braintrust.login({fake.url!r}, {GOOD_KEY!r})
            braintrust.init_logger(project="p").log(input=1)
            assert braintrust.flush() is True
        """, tmp_path)
        assert done.returncode == 0, done.stderr
        assert any(r["path"] == "/api/apikey/login" for r in fake.requests)
        assert fake.logs3_bodies(), "rows went to the service"


def test_without_a_key_login_does_nothing_and_rows_stay_local(tmp_path: Path) -> None:
    done = run_python("""
        import braintrust
        assert braintrust.login() is None
        braintrust.login(force_login=True)
        braintrust.init_logger(project="p").log(input="kept")
        braintrust.flush()
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert [r["input"] for r in stored_rows(tmp_path / "sub.sqlite", "p")] == ["kept"]
