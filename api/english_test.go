package api_test

import (
	"sort"
	"strings"
	"testing"

	"tierbase/platform/problem"
)

// cjkPunctuation is punctuation of Chinese text, which has no place in an English message.
const cjkPunctuation = "，。：；！？「」『』、（）“”‘’【】《》～…"

// Every English message and term — those of every engine, registered when its package
// loads, which the api package does — is written without Chinese punctuation.
func TestEnglishMessagesHaveNoChinesePunctuation(t *testing.T) {
	all := problem.English()
	codes := make([]string, 0, len(all))
	for code := range all {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	if len(codes) < 150 {
		t.Fatalf("only %d messages: are the engines' messages registered?", len(codes))
	}
	for _, code := range codes {
		en := all[code]
		if en == "" {
			t.Errorf("%s has no English text", code)
		}
		if i := strings.IndexAny(en, strings.ReplaceAll(cjkPunctuation, "…", "")); i >= 0 {
			t.Errorf("%s: English text %q has the Chinese punctuation %q", code, en, []rune(en[i:])[0])
		}
	}
}
