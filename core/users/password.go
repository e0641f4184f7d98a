package users

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"strings"
	"sync"

	"tierbase/platform/problem"
)

// commonPasswords is zxcvbn's list of the most used passwords (from @zxcvbn-ts/language-common,
// MIT licence), lower-cased, keeping the 17,950 of 8 or more characters: shorter ones fail the
// length rule first.
//
//go:embed common-passwords.txt.gz
var commonPasswords []byte

// MinPasswordLength is the fewest characters a password may have.
const MinPasswordLength = 8

// common is the set of commonPasswords, unpacked on first use.
var common = sync.OnceValue(func() map[string]struct{} {
	r, err := gzip.NewReader(bytes.NewReader(commonPasswords))
	if err != nil {
		panic(err) // the embedded file is ours
	}
	b, err := io.ReadAll(r)
	if err != nil {
		panic(err)
	}
	set := map[string]struct{}{}
	for _, w := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		set[w] = struct{}{}
	}
	return set
})

// CheckPassword applies the password policy to a password for the account email: at least
// MinPasswordLength characters, neither the email nor its part before @, and not a commonly
// used password (all compared without case). Each rule has its own problem code.
func CheckPassword(email, password string) error {
	if len([]rune(password)) < MinPasswordLength {
		return problem.Invalid("password_too_short", "min", MinPasswordLength).OnField("password")
	}
	pw := strings.ToLower(password)
	email = strings.ToLower(strings.TrimSpace(email))
	if local, _, _ := strings.Cut(email, "@"); pw == email || pw == local {
		return problem.Invalid("password_is_email").OnField("password")
	}
	if _, ok := common()[pw]; ok {
		return problem.Invalid("password_common").OnField("password")
	}
	return nil
}

func init() {
	problem.AddMessage("password_too_short", "密码太短，至少 {min} 位，请加长", "the password is too short; use at least {min} characters")
	problem.AddMessage("password_is_email", "密码不能是邮箱或邮箱 @ 前面的部分，请换一个别人猜不到的", "the password cannot be the email or its part before @; choose one others cannot guess")
	problem.AddMessage("password_common", "这是常见密码，很容易被猜中，请换一个更独特的（如几个词加数字）", "this is a commonly used password that is easy to guess; choose a less common one, such as a few words with digits")
}
