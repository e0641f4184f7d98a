package schema

import (
	"html"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// richText is the allow-list of 富文本: paragraphs, headings, emphasis, lists, quotes, code
// and links to web or mail addresses (opened in a new tab, nofollow). Everything else —
// scripts, styles, event attributes, images, frames — is dropped.
var richText = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "div", "span", "strong", "b", "em", "i", "u", "s", "h1", "h2", "h3", "h4",
		"ul", "ol", "li", "blockquote", "pre", "code", "hr")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

// SanitizeHTML returns the 富文本 html keeps under the allow-list; "" when no text is left.
func SanitizeHTML(s string) string {
	out := strings.TrimSpace(richText.Sanitize(s))
	if strings.TrimSpace(PlainText(out)) == "" {
		return ""
	}
	return out
}

var tag = regexp.MustCompile(`<[^>]*>`)

// PlainText is the text of sanitised html, tags dropped and entities decoded.
func PlainText(h string) string { return html.UnescapeString(tag.ReplaceAllString(h, " ")) }

// lineEnd is where a line of 富文本 ends: a break, a rule, or the end of a block.
var lineEnd = regexp.MustCompile(`(?i)<br\s*/?>|<hr\s*/?>|</(p|div|h[1-4]|li|blockquote|pre)>`)

// TextLines is sanitised html as a person reads it in a spreadsheet cell: a line per
// paragraph, heading, list item or break, inline tags dropped, entities decoded, blank lines
// left out.
func TextLines(h string) string {
	text := html.UnescapeString(tag.ReplaceAllString(lineEnd.ReplaceAllString(h, "\n"), ""))
	var lines []string
	for l := range strings.Lines(text) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
