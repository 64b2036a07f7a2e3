package auth

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/senda-platform/senda"
)

// Argon2id parameters (OWASP's minimum for argon2id: 19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// hashSlots caps concurrent hashes: each takes 19 MiB and a core.
var hashSlots = make(chan struct{}, 4)

// Password rules after NIST SP 800-63B: length, not character classes; no
// common or breached passwords; every Unicode character allowed (normalised
// to NFKC); no periodic change.
const (
	MinPassword = 10
	MaxPassword = 128
)

//go:embed common-passwords.txt
var commonList string

var common = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(commonList, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			m[strings.ToLower(l)] = true
		}
	}
	return m
}()

// CheckPassword returns the reasons a new password is refused, as field errors.
func CheckPassword(pw string, context ...string) []senda.FieldError {
	pw = norm.NFKC.String(pw)
	n := utf8.RuneCountInString(pw)
	var errs []senda.FieldError
	switch {
	case n < MinPassword:
		errs = append(errs, senda.FieldError{Location: "password", Key: "auth.password_short", Args: map[string]any{"min": MinPassword}})
	case n > MaxPassword:
		errs = append(errs, senda.FieldError{Location: "password", Key: "auth.password_long", Args: map[string]any{"max": MaxPassword}})
	case common[strings.ToLower(pw)] || repetitive(pw):
		errs = append(errs, senda.FieldError{Location: "password", Key: "auth.password_common"})
	default:
		for _, c := range context {
			if c != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(c)) {
				errs = append(errs, senda.FieldError{Location: "password", Key: "auth.password_context"})
				break
			}
		}
	}
	return errs
}

// repetitive catches "aaaaaaaaaa" and "1234567890"-like passwords.
func repetitive(pw string) bool {
	rs := []rune(pw)
	same, seq := true, true
	for i := 1; i < len(rs); i++ {
		if rs[i] != rs[0] {
			same = false
		}
		if rs[i] != rs[i-1]+1 {
			seq = false
		}
	}
	return same || seq
}

// HashPassword returns an encoded argon2id hash.
func HashPassword(pw string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	hashSlots <- struct{}{}
	key := argon2.IDKey([]byte(norm.NFKC.String(pw)), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	<-hashSlots
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// dummyHash is checked when an account does not exist, so that a wrong user
// costs the same time as a wrong password.
var dummyHash = HashPassword("not a real password, only for timing")

// VerifyPassword reports whether pw matches the encoded hash.
func VerifyPassword(encoded, pw string) bool {
	if encoded == "" {
		encoded = dummyHash
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<20 || t > 10 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	hashSlots <- struct{}{}
	got := argon2.IDKey([]byte(norm.NFKC.String(pw)), salt, t, m, p, uint32(len(want)))
	<-hashSlots
	return subtle.ConstantTimeCompare(got, want) == 1
}
