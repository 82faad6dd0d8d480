"""Control characters shown as escapes, not obeyed (k8sviz._terminal)."""

from __future__ import annotations

import io

from k8sviz._terminal import Shown, shown


def test_control_characters_but_tab_and_newline_are_escaped():
    assert shown("a\x1b[2Jb\rc\x00d\x7fe\x9bf\tg\nh") == "a\\x1b[2Jb\\x0dc\\x00d\\x7fe\\x9bf\tg\nh"
    assert shown("é-ü \U0001f642 </script>") == "é-ü \U0001f642 </script>"  # only control characters


def test_the_stream_writes_them_escaped_and_is_otherwise_the_stream():
    buf = io.StringIO()
    out = Shown.wrap(buf)
    assert out.write("p\x1b[31m\n") == len("p\x1b[31m\n")
    out.flush()
    assert buf.getvalue() == "p\\x1b[31m\n"
    assert out.isatty() is False and out.getvalue() == buf.getvalue()
