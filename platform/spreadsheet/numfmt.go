package spreadsheet

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// numKind is what an XLSX number format makes of a stored number, for reading it back exactly.
type numKind uint8

const (
	numPlain    numKind = iota // General, currency, accounting, fixed, fraction, text …: the number
	numPercent                 // 0%, 0.00%: the number times 100, with the sign ("26%" for 0.26)
	numDate                    // a date format without time of day
	numDateTime                // a date format with a time of day
	numTime                    // a time-of-day format without date
)

// builtinKind classifies the built-in number formats an xf may use without defining them,
// with the ids 27–36 and 50–58 as in the Chinese (PRC) locale, where they are all dates or
// times (yyyy"年"m"月"d"日", h"时"mm"分", …).
func builtinKind(id int) numKind {
	switch {
	case id == 9 || id == 10:
		return numPercent
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 54, id == 57, id == 58:
		return numDate
	case id == 22:
		return numDateTime
	case id >= 18 && id <= 21, id == 45, id == 47, id >= 32 && id <= 35, id == 55, id == 56:
		return numTime
	}
	return numPlain // includes 46, [h]:mm:ss, a duration: its number of days
}

// classifyFormat tells the kind of a custom number format code from its first section:
// letters y, d, m (month) make it a date, h and s a time, % a percentage; quoted text,
// escaped characters, [colors], [$-804] locales and AM/PM do not count. Elapsed-time formats
// ([h]:mm) are durations and read as plain numbers.
func classifyFormat(code string) numKind {
	if strings.EqualFold(strings.TrimSpace(code), "general") {
		return numPlain
	}
	var date, timeOfDay, month, percent bool
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch c {
		case ';':
			i = len(code)
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
		case '\\', '_', '*':
			if i+1 < len(code) {
				_, size := utf8.DecodeRuneInString(code[i+1:])
				i += size
			}
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				i = len(code)
				break
			}
			if j > 1 && strings.Trim(strings.ToLower(code[i+1:i+j]), "hms") == "" {
				return numPlain // [h], [mm], [ss]: elapsed time
			}
			i += j
		case '%':
			percent = true
		case 'a', 'A':
			if k := len("am/pm"); i+k <= len(code) && strings.EqualFold(code[i:i+k], "am/pm") {
				i += k - 1
			} else if k := len("a/p"); i+k <= len(code) && strings.EqualFold(code[i:i+k], "a/p") {
				i += k - 1
			}
		case 'e', 'E':
			if i+1 < len(code) && (code[i+1] == '+' || code[i+1] == '-') {
				i++ // scientific notation
			}
		case 'y', 'Y', 'd', 'D':
			date = true
		case 'h', 'H', 's', 'S':
			timeOfDay = true
		case 'm', 'M':
			month = true
		}
	}
	if month && !timeOfDay {
		date = true
	}
	switch {
	case date && timeOfDay:
		return numDateTime
	case date:
		return numDate
	case timeOfDay:
		return numTime
	case percent:
		return numPercent
	}
	return numPlain
}

// maxSerial is Excel's last day, 9999-12-31, as a day number.
const maxSerial = 2958465

// appendSerial appends an Excel day number as ISO text by kind: "2026-03-05",
// "2026-03-05 14:30:00" (a date kind with a time of day, or numDateTime), "14:30:00" (numTime
// below one day). It reports false, appending nothing, for numbers outside Excel's dates.
func appendSerial(dst []byte, v float64, kind numKind, date1904 bool) ([]byte, bool) {
	if math.IsNaN(v) || v < 0 || v > maxSerial+1 {
		return dst, false
	}
	secs := int64(math.Round(v * 86400))
	days, rem := secs/86400, secs%86400
	if kind == numTime && days == 0 {
		return appendClock(dst, rem), true
	}
	var base time.Time
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case days == 0:
		return dst, false // Excel's "1900-01-00"
	case days < 61:
		// Excel counts a 1900-02-29 that never was (day 60); days before it are one off.
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	default:
		base = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	}
	y, m, d := base.AddDate(0, 0, int(days)).Date()
	dst = appendDigits(dst, y, 4)
	dst = appendDigits(append(dst, '-'), int(m), 2)
	dst = appendDigits(append(dst, '-'), d, 2)
	if rem != 0 || kind == numDateTime || kind == numTime {
		dst = appendClock(append(dst, ' '), rem)
	}
	return dst, true
}

// appendClock appends a time of day given in seconds as hh:mm:ss.
func appendClock(dst []byte, secs int64) []byte {
	dst = appendDigits(dst, int(secs/3600), 2)
	dst = appendDigits(append(dst, ':'), int(secs/60%60), 2)
	return appendDigits(append(dst, ':'), int(secs%60), 2)
}

// appendDigits appends n ≥ 0 in decimal, zero-padded to at least width digits.
func appendDigits(dst []byte, n, width int) []byte {
	for p, k := 10, 1; k < width; p, k = p*10, k+1 {
		if n < p {
			dst = append(dst, '0')
		}
	}
	return strconv.AppendInt(dst, int64(n), 10)
}

// plainNumber gives a stored number as plain decimal text, rounded as Excel shows numbers to
// 15 significant digits (so a computed 0.30000000000000004 reads 0.3); text that is not a
// number is returned as is.
func plainNumber(v string) string {
	if simpleDecimal(v) {
		return v
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return v
	}
	return formatFloat(f)
}

// formatFloat writes f in plain decimal notation with at most 15 significant digits.
func formatFloat(f float64) string {
	if f == 0 {
		return "0"
	}
	f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// simpleDecimal reports text such as -123.45 with at most 15 digits, no leading zeros, no
// exponent and no trailing fractional zeros: already what plainNumber would return.
func simpleDecimal(v string) bool {
	if v == "" || len(v) > 17 {
		return false
	}
	s := strings.TrimPrefix(v, "-")
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || len(s) > 1 && s[0] == '0' && s[1] != '.' {
		return false
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	if dot && s[len(s)-1] == '0' {
		return false
	}
	return digits <= 15 && v != "-0"
}

// percentText gives a stored fraction as a percentage, in decimal so that no binary noise
// appears: 0.26 → "26%", 0.0575 → "5.75%" (ParseNumber reads "26%" as 26, and the sign
// tells the importer the column holds percentages).
func percentText(v string) string {
	p := plainNumber(v)
	if _, err := strconv.ParseFloat(p, 64); err != nil {
		return v
	}
	return shiftDecimal(p, 2) + "%"
}

// shiftDecimal multiplies plain decimal text by 10^n (n ≥ 0) by moving its point.
func shiftDecimal(s string, n int) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	for len(frac) < n {
		frac += "0"
	}
	intPart, frac = intPart+frac[:n], frac[n:]
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	frac = strings.TrimRight(frac, "0")
	out := intPart
	if frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out
}

// isoText normalizes an ISO 8601 date cell (t="d") to "2026-03-05" or "2026-03-05 14:30:00".
func isoText(v string) string {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		t = t.Round(time.Second)
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
			return t.Format("2006-01-02")
		}
		return t.Format("2006-01-02 15:04:05")
	}
	return v
}

// decodeEscapes turns the _xHHHH_ escapes OOXML uses for control characters back into them
// (_x000D_ → \r); _x005F_ escapes an underscore.
func decodeEscapes(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				b.WriteRune(rune(n))
				i += 7
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}
