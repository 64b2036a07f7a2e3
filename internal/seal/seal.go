// Package seal encrypts personal data field by field (AES-256-GCM). Each
// ciphertext names the key that sealed it, so keys can be rotated while old
// data stays readable, and is bound to where it is stored (table, column and
// row) through the additional data, so a ciphertext copied to another row
// does not open.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"
)

const version = 1

// Keyring holds the data keys: the primary seals, all open.
type Keyring struct {
	mu      sync.RWMutex
	primary uint32
	keys    map[uint32]cipher.AEAD
	index   []byte // blind-index key, derived from the first key
	raw     map[uint32][]byte
	// onMissing, when set, is called when a ciphertext names an unknown key.
	onMissing func()
}

type keyFile struct {
	Primary uint32            `json:"primary"`
	Keys    map[string]string `json:"keys"` // id -> base64 of 32 bytes
}

// New returns a keyring holding one fresh random key.
func New() *Keyring {
	k := &Keyring{keys: map[uint32]cipher.AEAD{}, raw: map[uint32][]byte{}}
	if err := k.add(1, randomKey()); err != nil {
		panic(err)
	}
	k.primary = 1
	k.deriveIndex()
	return k
}

func randomKey() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func (k *Keyring) add(id uint32, key []byte) error {
	if len(key) != 32 {
		return fmt.Errorf("key %d is %d bytes, want 32", id, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	k.keys[id] = aead
	k.raw[id] = key
	return nil
}

func (k *Keyring) deriveIndex() {
	ids := make([]uint32, 0, len(k.raw))
	for id := range k.raw {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	m := hmac.New(sha256.New, k.raw[ids[0]])
	m.Write([]byte("senda blind index v1"))
	k.index = m.Sum(nil)
}

// Parse reads a keyring from its JSON form.
func Parse(b []byte) (*Keyring, error) {
	var f keyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("key file is not valid JSON: %w", err)
	}
	k := &Keyring{keys: map[uint32]cipher.AEAD{}, raw: map[uint32][]byte{}}
	for sid, s := range f.Keys {
		var id uint32
		if _, err := fmt.Sscan(sid, &id); err != nil || id == 0 {
			return nil, fmt.Errorf("key id %q must be a positive number", sid)
		}
		key, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("key %s is not base64", sid)
		}
		if err := k.add(id, key); err != nil {
			return nil, err
		}
	}
	if _, ok := k.keys[f.Primary]; !ok {
		return nil, fmt.Errorf("primary key %d is not in the key file", f.Primary)
	}
	k.primary = f.Primary
	k.deriveIndex()
	return k, nil
}

// Marshal returns the JSON form of the keyring.
func (k *Keyring) Marshal() []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	f := keyFile{Primary: k.primary, Keys: map[string]string{}}
	for id, raw := range k.raw {
		f.Keys[fmt.Sprint(id)] = base64.StdEncoding.EncodeToString(raw)
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	return b
}

// LoadOrCreate reads the keyring at path, creating it (mode 0600) with one
// fresh key when it does not exist.
func LoadOrCreate(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k := New()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, k.Marshal(), 0o600); err != nil {
			return nil, err
		}
		return k, nil
	}
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Rotate adds a new primary key; old keys stay to open existing data.
func (k *Keyring) Rotate() uint32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	var max uint32
	for id := range k.keys {
		if id > max {
			max = id
		}
	}
	if err := k.add(max+1, randomKey()); err != nil {
		panic(err)
	}
	k.primary = max + 1
	return k.primary
}

// Primary returns the id of the key that seals new data.
func (k *Keyring) Primary() uint32 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.primary
}

// Seal encrypts plaintext bound to place (for example "outbox.recipient/ID").
func (k *Keyring) Seal(plaintext []byte, place string) []byte {
	return k.SealAppend(make([]byte, 0, Overhead+len(plaintext)), plaintext, []byte(place))
}

// Overhead is how many bytes sealing adds: version, key id, nonce and tag.
const Overhead = 5 + 12 + 16

// SealAppend appends the ciphertext of plaintext bound to place to dst and
// returns the extended slice, for bulk work that seals into one buffer.
func (k *Keyring) SealAppend(dst, plaintext, place []byte) []byte {
	k.mu.RLock()
	id, aead := k.primary, k.keys[k.primary]
	k.mu.RUnlock()
	ns := aead.NonceSize()
	// Grown here, with append's amortised growth: the cipher grows a
	// slice too short by reallocating it to the exact length.
	dst = slices.Grow(dst, 5+ns+len(plaintext)+aead.Overhead())
	start := len(dst)
	dst = append(dst, version, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(dst[start+1:], id)
	dst = append(dst, make([]byte, ns)...)
	nonce := dst[start+5 : start+5+ns]
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return aead.Seal(dst, nonce, plaintext, place)
}

// ErrOpen is returned for a ciphertext that cannot be opened.
var ErrOpen = errors.New("seal: cannot open ciphertext")

// Open decrypts a value sealed for place.
func (k *Keyring) Open(ciphertext []byte, place string) ([]byte, error) {
	return k.OpenAppend(nil, ciphertext, []byte(place))
}

// OpenAppend appends the plaintext of a value sealed for place to dst and
// returns the extended slice; on failure it returns dst unchanged with
// ErrOpen.
func (k *Keyring) OpenAppend(dst, ciphertext, place []byte) ([]byte, error) {
	if len(ciphertext) < 5 || ciphertext[0] != version {
		return dst, ErrOpen
	}
	id := binary.BigEndian.Uint32(ciphertext[1:5])
	k.mu.RLock()
	aead, ok := k.keys[id]
	missing := k.onMissing
	k.mu.RUnlock()
	if !ok && missing != nil {
		missing()
		k.mu.RLock()
		aead, ok = k.keys[id]
		k.mu.RUnlock()
	}
	if !ok || len(ciphertext) < 5+aead.NonceSize() {
		return dst, ErrOpen
	}
	ns := aead.NonceSize()
	if n := len(ciphertext) - 5 - ns - aead.Overhead(); n > 0 {
		dst = slices.Grow(dst, n) // see SealAppend
	}
	out, err := aead.Open(dst, ciphertext[5:5+ns], ciphertext[5+ns:], place)
	if err != nil {
		return dst, ErrOpen
	}
	return out, nil
}

// KeyID returns the id of the key that sealed ciphertext.
func KeyID(ciphertext []byte) uint32 {
	if len(ciphertext) < 5 {
		return 0
	}
	return binary.BigEndian.Uint32(ciphertext[1:5])
}

// Index returns a keyed blind index of value for exact search in kind (for
// example "phone"). Callers normalise value first.
func (k *Keyring) Index(kind, value string) string {
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:20])
}

// Merge adds the keys of other that k lacks and takes other's primary: how a
// running process picks up a rotation written to the key file.
func (k *Keyring) Merge(other *Keyring) {
	other.mu.RLock()
	defer other.mu.RUnlock()
	k.mu.Lock()
	defer k.mu.Unlock()
	for id, raw := range other.raw {
		if _, ok := k.keys[id]; !ok {
			if err := k.add(id, raw); err != nil {
				continue
			}
		}
	}
	if _, ok := k.keys[other.primary]; ok {
		k.primary = other.primary
	}
}

// WriteFile saves the keyring atomically (write, sync, rename), mode 0600.
func (k *Keyring) WriteFile(path string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(k.Marshal()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Follow keeps k in step with the key file at path: it reloads the file when
// it changes (checked every interval) and whenever a ciphertext names a key k
// does not have, so a rotation by another process is picked up while serving.
// It returns a function that stops following.
func (k *Keyring) Follow(path string, interval time.Duration) (stop func()) {
	var last time.Time
	reload := func() {
		st, err := os.Stat(path)
		if err != nil || !st.ModTime().After(last) {
			return
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		other, err := Parse(b)
		if err != nil {
			return
		}
		last = st.ModTime()
		k.Merge(other)
	}
	var mu sync.Mutex
	k.mu.Lock()
	k.onMissing = func() { mu.Lock(); reload(); mu.Unlock() }
	k.mu.Unlock()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				mu.Lock()
				reload()
				mu.Unlock()
			}
		}
	}()
	return func() { close(done) }
}
