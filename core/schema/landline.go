package schema

import (
	"slices"
	"strings"
)

// landlineExt are the words people write before an extension, as in 010-12345678转123.
var landlineExt = []string{"转", "分机号", "分机", "ext.", "ext", "x", "#"}

// ParseLandline reads a mainland fixed-line (座机) number as people write it:
// "010-12345678转123", "(0755)8888 8888-12", "+86 755 8888 8888 ext. 12", "400-800-8888",
// full-width digits and brackets. It returns the storage form: area code, number and
// extension joined by "-" ("0755-88888888-12", "010-12345678"), "400-800-8888" for 400 and
// 800 numbers, or the bare number (7 or 8 digits) when no area code is written. Digits after
// the number are its extension only when a "-" separates them.
func ParseLandline(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(halfWidth(s)))
	if len(s) > 64 {
		return "", false
	}
	main, ext := s, ""
	for _, w := range landlineExt {
		if i := strings.Index(s, w); i >= 0 && i < len(main) {
			main, ext = s[:i], strings.TrimLeft(strings.TrimSpace(s[i+len(w):]), ":：")
			if ext == "" || len(ext) > 6 || strings.Trim(ext, "0123456789") != "" {
				return "", false
			}
		}
	}
	// The digits of the main part, and where a "-" stood between them.
	var d []byte
	var dashes []int
	plus := false
	for i, r := range strings.TrimSpace(main) {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, byte(r))
		case r == '-':
			dashes = append(dashes, len(d))
		case r == ' ' || r == '(' || r == ')' || r == '.':
		case r == '+' && i == 0:
			plus = true
		default:
			return "", false
		}
	}
	digits, shift := string(d), 0
	switch {
	case plus && strings.HasPrefix(digits, "86"):
		digits, shift = digits[2:], -2
	case plus:
		return "", false
	case strings.HasPrefix(digits, "0086"):
		digits, shift = digits[4:], -4
	}
	if shift != 0 && digits != "" && digits[0] != '0' && !isFreephone(digits) {
		digits, shift = "0"+digits, shift+1 // +86 10 … is 010 …
	}
	// split cuts the digits from start into a number of min..max digits and an extension
	// after a "-". Inside the number a "-" may stand only after the digits counted in inner
	// (8888-8888, 400-800-8888), so that a date such as 2024-01-15 is not a number.
	split := func(start, min, max int, inner ...int) (num, ext string, ok bool) {
		end := len(digits)
		for i := len(dashes) - 1; i >= 0; i-- {
			if at := dashes[i] + shift; at-start >= min && at-start <= max && at < len(digits) {
				end = at
				break
			}
		}
		for _, at := range dashes {
			if at += shift; at > start && at < end && !slices.Contains(inner, at-start) {
				return "", "", false
			}
		}
		return digits[start:end], digits[end:], end-start >= min && end-start <= max
	}
	var num, tail, out string
	ok := false
	if isFreephone(digits) {
		num, tail, ok = split(0, 10, 10, 3, 6)
	}
	switch {
	case ok:
		out = num[:3] + "-" + num[3:6] + "-" + num[6:]
	case strings.HasPrefix(digits, "0"):
		area := 4
		switch {
		case len(digits) < 11:
			return "", false // area code of 3 or 4 digits, number of 7 or 8
		case strings.HasPrefix(digits, "010") || digits[1] == '2':
			area = 3
		case digits[1] < '3':
			return "", false
		}
		num, tail, ok = split(area, 7, 8, 3, 4)
		if !ok || num[0] == '0' {
			return "", false
		}
		out = digits[:area] + "-" + num
	default:
		num, tail, ok = split(0, 7, 8, 3, 4)
		if !ok || num[0] == '0' {
			return "", false
		}
		out = num
	}
	if tail != "" && ext != "" || len(tail) > 6 {
		return "", false
	}
	if ext += tail; ext != "" {
		out += "-" + ext
	}
	return out, true
}

// isFreephone reports whether d starts as a 400 or 800 number (10 digits, no area code).
func isFreephone(d string) bool {
	return len(d) >= 10 && (strings.HasPrefix(d, "400") || strings.HasPrefix(d, "800"))
}

// LandlineDigits is how a 座机 value is searched: its digits, without the separators of the
// storage form, so 0755-88888888 contains "075588888888" and "8888" (SQL: REPLACE(col, '-', ”)).
func LandlineDigits(s string) string { return strings.ReplaceAll(s, "-", "") }

// LandlineSearch is what a search for s looks for in the LandlineDigits of 座机 values: the
// digits of a number written with separators ("(0755) 8888-88" → "0755888888"), other text
// as it is.
func LandlineSearch(s string) string {
	s = halfWidth(s)
	if strings.Trim(s, "0123456789 -()") != "" {
		return s
	}
	return strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(s)
}
