"""Specifications for newsletter.sources.html: sanitizing, truncating and plain-text rendering."""

from __future__ import annotations

import re

from newsletter.sources.html import html_to_text, truncate_html
from newsletter.sources.sanitize import sanitize

# ---- sanitize ----------------------------------------------------------------------------


def test_script_tags_are_removed() -> None:
    cleaned = sanitize("<p>Hi</p><script>alert('x')</script><script src='x.js'></script>")
    assert cleaned == "<p>Hi</p>"


def test_style_element_is_removed_with_its_content() -> None:
    assert sanitize("<style>p { color: red }</style><p>Warm</p>") == "<p>Warm</p>"


def test_event_handler_attributes_are_removed() -> None:
    cleaned = sanitize('<p onclick="x()"><img src="https://a.example/i.png" onerror="x()"></p>')
    assert "onclick" not in cleaned
    assert "onerror" not in cleaned
    assert 'src="https://a.example/i.png"' in cleaned


def test_javascript_data_and_vbscript_urls_are_removed() -> None:
    cleaned = sanitize(
        '<a href="javascript:alert(1)">a</a><a href=" JaVaScRiPt:x">b</a>'
        '<a href="data:text/html,hi">c</a><a href="vbscript:msgbox">d</a>'
    )
    assert "href" not in cleaned
    assert ">a<" in cleaned and ">d<" in cleaned


def test_mailto_and_https_links_are_kept() -> None:
    cleaned = sanitize(
        '<a href="mailto:dana@example.com">mail</a> <a href="https://x.example/">x</a>'
    )
    assert 'href="mailto:dana@example.com"' in cleaned
    assert 'href="https://x.example/"' in cleaned


def test_links_get_rel_noopener() -> None:
    assert sanitize('<a href="https://x.example/">x</a>') == (
        '<a href="https://x.example/" rel="noopener">x</a>'
    )


def test_iframe_form_and_object_are_removed() -> None:
    cleaned = sanitize(
        '<iframe src="https://evil.example/">fallback</iframe>'
        '<form action="https://evil.example/"><input name="pw"></form>'
        '<object data="x.swf">object text</object><p>kept</p>'
    )
    for gone in ("iframe", "form", "input", "object", "fallback", "object text", "evil"):
        assert gone not in cleaned
    assert "<p>kept</p>" in cleaned


def test_disallowed_tags_are_unwrapped_keeping_their_text() -> None:
    assert sanitize("<div><span>Furnace</span> <h1>season</h1></div>") == "Furnace season"


def test_tracking_pixel_is_dropped() -> None:
    cleaned = sanitize(
        '<p>Story</p><img src="https://pixel.wp.com/b.gif?host=x" width="1" height="1" alt="">'
    )
    assert cleaned == "<p>Story</p>"


def test_zero_sized_and_hidden_images_are_dropped() -> None:
    cleaned = sanitize(
        '<img src="https://a.example/t.gif" width="0" height="0">'
        '<img src="https://a.example/h.gif" style="display: none">'
        '<img src="https://a.example/s.gif" style="width:1px;height:1px">'
        '<img src="https://feeds.feedburner.com/~r/x/~4/abc" alt="">'
    )
    assert "<img" not in cleaned


def test_real_images_are_kept_with_size_and_alt() -> None:
    img = '<img src="https://a.example/furnace.jpg" alt="A furnace" width="400" height="300">'
    assert sanitize(img) == img


def test_relative_links_are_made_absolute_against_base_url() -> None:
    cleaned = sanitize(
        '<a href="/story">s</a><img src="img/a.png" alt="a">',
        base_url="https://news.example.com/2026/11/",
    )
    assert 'href="https://news.example.com/story"' in cleaned
    assert 'src="https://news.example.com/2026/11/img/a.png"' in cleaned


def test_relative_links_pass_through_without_base_url() -> None:
    assert 'href="/story"' in sanitize('<a href="/story">s</a>')


def test_comments_are_removed() -> None:
    assert sanitize("<p>a<!-- secret --></p>") == "<p>a</p>"


def test_text_around_a_dropped_pixel_is_untouched() -> None:
    cleaned = sanitize('AT&T <img src="https://x.example/p.gif" width="1" height="1">&amp; co')
    assert cleaned == "AT&amp;T &amp; co"


# ---- truncate_html -----------------------------------------------------------------------


def test_html_under_the_limit_is_unchanged() -> None:
    html = "<p>Short <b>and</b> sweet.</p>"
    assert truncate_html(html, 100) == html


def test_summary_is_cut_at_word_boundary() -> None:
    assert truncate_html("<p>Heat pumps work well in cold climates</p>", 18) == (
        "<p>Heat pumps work…</p>"
    )


def test_truncation_keeps_tags_balanced() -> None:
    cut = truncate_html("<p>One <strong>two <em>three four five</em> six</strong></p>", 14)
    assert cut == "<p>One <strong>two <em>three</em></strong>…</p>"


def test_truncation_drops_trailing_punctuation_before_the_ellipsis() -> None:
    assert truncate_html("<p>First, second, third, fourth</p>", 14) == "<p>First, second…</p>"


def test_truncation_never_breaks_an_entity() -> None:
    cut = truncate_html("<p>Fish &amp; chips &amp; more &amp; more</p>", 12)
    assert cut == "<p>Fish &amp; chips…</p>"


def test_truncation_counts_collapsed_whitespace() -> None:
    html = "<p>one\n\n     two      three</p>"
    assert truncate_html(html, 13) == html


def test_words_in_adjacent_paragraphs_are_separate_words() -> None:
    assert truncate_html("<p>alpha</p><p>beta gamma</p>", 11) == "<p>alpha</p><p>beta…</p>"


def test_a_single_overlong_word_is_cut_inside_it() -> None:
    assert truncate_html("Supercalifragilistic", 5) == "Super…"


def test_ellipsis_goes_after_a_link_not_inside_it() -> None:
    cut = truncate_html('<p>Read <a href="https://x.example/">the whole story</a> now</p>', 14)
    assert cut == '<p>Read <a href="https://x.example/">the whole</a>…</p>'


# ---- html_to_text ------------------------------------------------------------------------


def test_paragraphs_are_separated_by_blank_lines() -> None:
    assert html_to_text("<p>One.</p><p>Two.</p>") == "One.\n\nTwo."


def test_list_items_start_with_a_dash() -> None:
    text = html_to_text("<p>Bring:</p><ul><li>Filter</li><li>Ladder</li></ul><p>Done.</p>")
    assert text == "Bring:\n\n- Filter\n- Ladder\n\nDone."


def test_ordered_list_items_are_numbered() -> None:
    assert html_to_text("<ol><li>Off</li><li>On</li></ol>") == "1. Off\n2. On"


def test_nested_list_is_indented() -> None:
    text = html_to_text("<ul><li>Heat<ul><li>Furnace</li></ul></li><li>Cool</li></ul>")
    assert text == "- Heat\n   - Furnace\n- Cool"


def test_links_read_text_then_url() -> None:
    text = html_to_text('<p>See <a href="https://x.example/rebates">rebates</a>.</p>')
    assert text == "See rebates (https://x.example/rebates)."


def test_link_whose_text_is_its_url_is_written_once() -> None:
    assert html_to_text('<a href="https://x.example/">https://x.example/</a>') == (
        "https://x.example/"
    )
    assert html_to_text('<a href="https://x.example/">x.example</a>') == "https://x.example/"


def test_headings_stand_on_their_own_line() -> None:
    assert html_to_text("<h3>Rebates</h3>Up to $8,000.") == "Rebates\n\nUp to $8,000."


def test_table_rows_join_cells_with_bars() -> None:
    html = "<table><tr><th>Model</th><th>SEER2</th></tr><tr><td>XR16</td><td>16</td></tr></table>"
    assert html_to_text(html) == "Model | SEER2\nXR16 | 16"


def test_entities_are_decoded_and_whitespace_collapsed() -> None:
    assert html_to_text("<p>Fish&nbsp;&amp;  chips\n\n&lt;3 &#8212; yum</p>") == (
        "Fish & chips <3 — yum"
    )


def test_long_paragraphs_are_wrapped_at_width() -> None:
    text = html_to_text("<p>" + "furnace " * 30 + "</p>", width=40)
    lines = text.splitlines()
    assert len(lines) > 1
    assert all(len(line) <= 40 for line in lines)


def test_urls_are_never_broken_when_wrapping() -> None:
    url = "https://example.com/" + "a" * 80
    text = html_to_text(f'<p>Read <a href="{url}">this</a> please</p>', width=30)
    assert url in text.splitlines()[1]


def test_line_breaks_are_kept() -> None:
    assert html_to_text("<p>2417 Atwood Ave<br>Madison, WI</p>") == "2417 Atwood Ave\nMadison, WI"


def test_preformatted_text_keeps_its_lines() -> None:
    assert html_to_text("<pre>a  b\n  c</pre>") == "a  b\n  c"


def test_blockquote_lines_are_quoted() -> None:
    assert html_to_text("<blockquote><p>Best install ever.</p></blockquote>") == (
        "> Best install ever."
    )


def test_script_content_never_reaches_text() -> None:
    assert html_to_text("<p>a</p><script>var x = 1;</script><style>p{}</style>") == "a"


def test_image_alt_text_is_shown_in_brackets() -> None:
    assert html_to_text('<img src="https://x.example/a.png" alt="New heat pump">') == (
        "[New heat pump]"
    )


def test_text_has_no_trailing_spaces() -> None:
    text = html_to_text("<p>a </p>  <ul><li> b </li></ul> <p> c</p>")
    assert not re.search(r" +$", text, re.MULTILINE)


def test_later_paragraphs_of_a_list_item_are_indented_under_it() -> None:
    text = html_to_text("<ol><li><p>Turn it off.</p><p>Wait.</p></li><li>On</li></ol>")
    assert text == "1. Turn it off.\n   Wait.\n2. On"


def test_email_link_whose_text_is_the_address_reads_as_the_address() -> None:
    assert html_to_text('<a href="mailto:dana@example.com">dana@example.com</a>') == (
        "dana@example.com"
    )
