package appointments

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/senda-platform/senda/draw"
)

// The requests of a draw are frozen at its close into compact chunks: the
// draw reads them back in one pass instead of a million rows, and the
// published record is built from them. A chunk is
//
//	version (1 byte) | count | locations: n, then each code (len, bytes)
//	then per request: id (len, bytes) | household (len, bytes) | size |
//	registered_at (Unix seconds, zig-zag) | preferences: n, location indices
//
// with every number an unsigned varint.

const snapshotVersion = 1

// chunkSize is how many requests one chunk holds.
const chunkSize = 1 << 16

// frozen is the input of a draw: its requests in id order and the
// household of each (not published).
type frozen struct {
	reqs       []draw.Request
	households []string
}

// newFrozen returns room for n requests.
func newFrozen(n int) *frozen {
	return &frozen{reqs: make([]draw.Request, n), households: make([]string, n)}
}

func encodeChunk(reqs []draw.Request, households []string) []byte {
	locs := map[string]int{}
	var order []string
	for i := range reqs {
		for _, p := range reqs[i].Preferences {
			if _, ok := locs[p]; !ok {
				locs[p] = len(order)
				order = append(order, p)
			}
		}
	}
	b := make([]byte, 0, len(reqs)*72+64)
	b = append(b, snapshotVersion)
	b = binary.AppendUvarint(b, uint64(len(reqs)))
	b = binary.AppendUvarint(b, uint64(len(order)))
	for _, l := range order {
		b = binary.AppendUvarint(b, uint64(len(l)))
		b = append(b, l...)
	}
	for i := range reqs {
		r := &reqs[i]
		b = binary.AppendUvarint(b, uint64(len(r.ID)))
		b = append(b, r.ID...)
		b = binary.AppendUvarint(b, uint64(len(households[i])))
		b = append(b, households[i]...)
		b = binary.AppendUvarint(b, uint64(r.Size))
		b = binary.AppendVarint(b, r.RegisteredAt.Unix())
		b = binary.AppendUvarint(b, uint64(len(r.Preferences)))
		for _, p := range r.Preferences {
			b = binary.AppendUvarint(b, uint64(locs[p]))
		}
	}
	return b
}

var errChunk = errors.New("appointments: damaged request snapshot")

// decodeChunk decodes a chunk into reqs and households, which must have
// room for its requests. Every id and household points into the chunk's
// one string, and preferences share one backing array, so that a million
// requests cost a few allocations.
func decodeChunk(b string, reqs []draw.Request, households []string) (int, error) {
	if len(b) == 0 || b[0] != snapshotVersion {
		return 0, errChunk
	}
	p := 1
	uv := func() int {
		var v uint64
		var shift uint
		for p < len(b) {
			c := b[p]
			p++
			v |= uint64(c&0x7f) << shift
			if c < 0x80 {
				return int(v)
			}
			shift += 7
			if shift > 63 {
				break
			}
		}
		p = len(b) + 1
		return 0
	}
	count := uv()
	nloc := uv()
	if p > len(b) || nloc > 1<<16 || count > len(reqs) || count > len(b) {
		return 0, errChunk
	}
	locs := make([]string, nloc)
	for i := range locs {
		n := uv()
		if p+n > len(b) {
			return 0, errChunk
		}
		locs[i] = b[p : p+n]
		p += n
	}
	prefs := make([]string, 0, count*2)
	for i := range count {
		n := uv()
		if p+n > len(b) {
			return 0, errChunk
		}
		r := &reqs[i]
		r.ID = b[p : p+n]
		p += n
		n = uv()
		if p+n > len(b) {
			return 0, errChunk
		}
		households[i] = b[p : p+n]
		p += n
		r.Size = uv()
		z := uint64(uv())
		r.RegisteredAt = time.Unix(int64(z>>1)^-int64(z&1), 0).UTC()
		np := uv()
		if np > 3 || p > len(b) {
			return 0, errChunk
		}
		at := len(prefs)
		for range np {
			j := uv()
			if j >= nloc {
				return 0, errChunk
			}
			prefs = append(prefs, locs[j])
		}
		r.Preferences = prefs[at:len(prefs):len(prefs)]
	}
	if p > len(b) {
		return 0, errChunk
	}
	return count, nil
}
