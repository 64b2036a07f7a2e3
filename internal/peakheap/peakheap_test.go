package peakheap

import "testing"

// The peak covers memory held only while tracking, and released before the
// end.
func TestTrackSeesMemoryHeldMeanwhile(t *testing.T) {
	stop := Track()
	before := stop()
	stop = Track()
	held := make([]byte, 64<<20)
	for i := range held {
		held[i] = 1
	}
	sink = held
	sink = nil
	if got := stop(); got < before+32<<20 {
		t.Fatalf("peak %d bytes, want at least 32 MiB more than %d", got, before)
	}
}

var sink []byte
