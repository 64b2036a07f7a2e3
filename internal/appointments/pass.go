package appointments

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/store"
)

// Codes: an appointment's short code is eight characters drawn from an
// alphabet without look-alikes (no 0, O, 1 or I) and a check character
// (Luhn mod 32), written ABCD-EFGH-J. A single mistyped character never
// makes another valid code, nor do two swapped neighbours (save 2 and Z).
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// NewCode returns a fresh random appointment code in canonical form (nine
// characters, no dashes).
func NewCode() string {
	b := make([]byte, 8)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(codeAlphabet))))
		b[i] = codeAlphabet[n.Int64()]
	}
	return string(b) + string(codeAlphabet[checkIndex(string(b))])
}

func checkIndex(s string) int {
	const n = len(codeAlphabet)
	factor, sum := 2, 0
	for i := len(s) - 1; i >= 0; i-- {
		a := factor * strings.IndexByte(codeAlphabet, s[i])
		factor = 3 - factor
		sum += a/n + a%n
	}
	return (n - sum%n) % n
}

// NormalizeCode turns what someone typed into a canonical code and reports
// whether it is one (right length, alphabet and check character).
func NormalizeCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
		case r < 128 && strings.IndexByte(codeAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	c := b.String()
	if len(c) != 9 || codeAlphabet[checkIndex(c[:8])] != c[8] {
		return "", false
	}
	return c, true
}

// FormatCode writes a canonical code as ABCD-EFGH-J.
func FormatCode(c string) string {
	if len(c) != 9 {
		return c
	}
	return c[:4] + "-" + c[4:8] + "-" + c[8:]
}

// newChallenge returns the six digits the liveness check asks for.
func newChallenge() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1000000))
	s := n.String()
	return strings.Repeat("0", 6-len(s)) + s
}

// Passes: a confirmed appointment's pass is a compact signed token,
// base64url(JSON claims) "." base64url(Ed25519 signature of the first
// part), carried in a QR code. The claims hold the code and only what the
// holder chose to show. Anyone verifies it offline with the published
// public key.

// Claims are what a pass says.
type Claims struct {
	Version  int    `json:"v"`
	KeyID    string `json:"kid"`
	Code     string `json:"code"`
	Name     string `json:"name,omitempty" doc:"The principal applicant's first given name, if the holder chose to show it"`
	Date     string `json:"date,omitempty" doc:"Service date, if shown"`
	Time     string `json:"time,omitempty" doc:"Local start time at the port, if the date is shown"`
	Port     string `json:"port,omitempty" doc:"Location code, if shown"`
	IssuedAt int64  `json:"iat" doc:"When the pass was issued, Unix seconds"`
}

const keyPurpose = "appointment-pass"

type signer struct {
	id   string
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

// keyID names a public key: the first 8 bytes of its SHA-256, in hex.
func keyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// signingKey returns the pass signing key, generating it on first use. The
// private key is stored sealed with the data keys.
func (s *Service) signingKey(ctx context.Context) (*signer, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	var k store.SigningKey
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		k, err = tx.SigningKeyFor(ctx, keyPurpose)
		if !store.IsNotFound(err) {
			return err
		}
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return senda.Wrap(err, "appointments.signing_key")
		}
		id := keyID(pub)
		if err := tx.InsertSigningKey(ctx, store.SigningKey{ID: id, Purpose: keyPurpose, Public: base64.RawURLEncoding.EncodeToString(pub),
			Private: s.Keys.Seal(priv.Seed(), "signing_keys/"+id)}); err != nil {
			return err
		}
		k, err = tx.SigningKeyFor(ctx, keyPurpose)
		return err
	})
	if err != nil {
		return nil, err
	}
	seed, err := s.Keys.Open(k.Private, "signing_keys/"+k.ID)
	if err != nil {
		return nil, senda.Wrap(err, "appointments.signing_key")
	}
	priv := ed25519.NewKeyFromSeed(seed)
	s.key = &signer{id: k.ID, pub: priv.Public().(ed25519.PublicKey), priv: priv}
	return s.key, nil
}

// PublicKey is the published key that verifies passes.
type PublicKey struct {
	KeyID     string `json:"key_id"`
	Algorithm string `json:"algorithm" enum:"Ed25519"`
	Key       string `json:"key" doc:"The 32-byte public key, base64url without padding"`
	PEM       string `json:"pem" doc:"The same key as a PEM SubjectPublicKeyInfo"`
	Format    string `json:"format" doc:"How a pass is written"`
}

// PublicKey returns the key that verifies passes.
func (s *Service) PublicKey(ctx context.Context) (PublicKey, error) {
	k, err := s.signingKey(ctx)
	if err != nil {
		return PublicKey{}, err
	}
	der, _ := x509.MarshalPKIXPublicKey(k.pub)
	return PublicKey{KeyID: k.id, Algorithm: "Ed25519", Key: base64.RawURLEncoding.EncodeToString(k.pub),
		PEM:    string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		Format: "base64url(JSON claims) '.' base64url(Ed25519 signature over the ASCII of the first part)"}, nil
}

// Sign makes a pass from claims.
func (k *signer) sign(c Claims) string {
	c.Version, c.KeyID = 1, k.id
	b, _ := json.Marshal(c)
	head := base64.RawURLEncoding.EncodeToString(b)
	return head + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(k.priv, []byte(head)))
}

var errBadPass = &senda.Error{Code: senda.CodeInvalid, Key: "appointments.pass_invalid",
	Fields: []senda.FieldError{{Location: "body.token", Key: "appointments.pass_invalid"}}}

// VerifyPass checks a pass against a public key, offline, and returns its
// claims.
func VerifyPass(pub ed25519.PublicKey, token string) (Claims, error) {
	var c Claims
	head, sig, ok := strings.Cut(strings.TrimSpace(token), ".")
	if !ok || len(token) > 2048 {
		return c, errBadPass
	}
	s, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, []byte(head), s) {
		return c, errBadPass
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return c, errBadPass
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.Version != 1 || c.KeyID != keyID(pub) {
		return Claims{}, errBadPass
	}
	return c, nil
}

// VerifyPass checks a pass with Senda's published key.
func (s *Service) VerifyPass(ctx context.Context, token string) (Claims, error) {
	k, err := s.signingKey(ctx)
	if err != nil {
		return Claims{}, err
	}
	return VerifyPass(k.pub, token)
}

// ParsePublicKey reads the key of a PublicKey (its Key field).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("appointments: not an Ed25519 public key")
	}
	return ed25519.PublicKey(b), nil
}
