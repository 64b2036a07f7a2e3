package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
)

// withPlace fills in "place" on lines that lack one.
func withPlace(r io.Reader, place string) io.Reader {
	if place == "" {
		return r
	}
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 2<<20)
		for sc.Scan() {
			line := sc.Bytes()
			var probe struct {
				Place *string `json:"place"`
			}
			if json.Unmarshal(line, &probe) == nil && probe.Place == nil && bytes.HasPrefix(bytes.TrimSpace(line), []byte("{")) {
				p, _ := json.Marshal(place)
				t := bytes.TrimSpace(line)
				line = append(append([]byte(`{"place":`), p...), append([]byte(","), t[1:]...)...)
				if len(t) == 2 { // "{}"
					line = append(append([]byte(`{"place":`), p...), '}')
				}
			}
			pw.Write(append(line, '\n'))
		}
		pw.CloseWithError(sc.Err())
	}()
	return pr
}
