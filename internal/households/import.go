package households

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/household"
	"github.com/senda-platform/senda/internal/store"
)

// LineResult is the outcome of one line of an import.
type LineResult struct {
	Line    int                `json:"line"`
	Status  string             `json:"status"` // created, unchanged, invalid
	Receipt string             `json:"receipt,omitempty"`
	Errors  []senda.FieldError `json:"errors,omitempty"`
}

// ImportSummary counts an import's lines.
type ImportSummary struct {
	Created, Unchanged, Invalid int
}

// MaxLine is the longest line an import accepts.
const MaxLine = 1 << 20

// Import loads households from JSON Lines, one household per line (the
// household schema). Each line is validated and saved whole, or reported
// with its line number and errors; nothing is half-saved. A line is keyed by
// its external_id, or else by its content, so re-running the same file
// creates nothing twice.
func (s *Service) Import(ctx context.Context, c Caller, r io.Reader, report func(LineResult)) (ImportSummary, error) {
	var sum ImportSummary
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF && len(line) == 0 {
			return sum, nil
		}
		if errors.Is(err, errLineTooLong) {
			sum.Invalid++
			report(LineResult{Line: n, Status: "invalid", Errors: []senda.FieldError{{Location: "line", Key: "household.import_line_too_long", Args: map[string]any{"max": MaxLine}}}})
			continue
		}
		if err != nil && err != io.EOF {
			return sum, senda.Wrap(err, "household.import_read")
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		res := s.importLine(ctx, c, n, line)
		switch res.Status {
		case "created":
			sum.Created++
		case "unchanged":
			sum.Unchanged++
		default:
			sum.Invalid++
		}
		report(res)
	}
}

var errLineTooLong = errors.New("line too long")

func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		part, isPrefix, err := br.ReadLine()
		buf = append(buf, part...)
		if len(buf) > MaxLine {
			for isPrefix && err == nil {
				_, isPrefix, err = br.ReadLine()
			}
			return nil, errLineTooLong
		}
		if err != nil {
			if err == io.EOF && len(buf) > 0 {
				return buf, nil
			}
			return buf, err
		}
		if !isPrefix {
			return buf, nil
		}
	}
}

func (s *Service) importLine(ctx context.Context, c Caller, n int, line []byte) LineResult {
	var h household.Household
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		loc := "line"
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			loc = ute.Field
		}
		key := "validation.body"
		if strings.Contains(err.Error(), "unknown field") {
			key = "validation.unexpected"
			loc = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		}
		return LineResult{Line: n, Status: "invalid", Errors: []senda.FieldError{{Location: loc, Key: key}}}
	}
	if dec.More() {
		return LineResult{Line: n, Status: "invalid", Errors: []senda.FieldError{{Location: "line", Key: "household.import_one_per_line"}}}
	}
	h.ID, h.Receipt, h.Version = "", "", 0
	if h.ExternalID == "" {
		h.ExternalID = "sha256:" + sha(string(bytes.TrimSpace(line)))[:32]
	}
	h.Normalize()
	existing := ""
	s.DB.View(ctx, func(tx *store.Tx) error {
		r, err := tx.HouseholdBy(ctx, "external_key", sha(h.Place+"\x00"+h.ExternalID))
		if err == nil {
			existing = r.Receipt
		}
		return nil
	})
	if existing != "" {
		return LineResult{Line: n, Status: "unchanged", Receipt: existing}
	}
	out, err := s.Save(ctx, c, &h, "")
	if err != nil {
		var se *senda.Error
		if errors.As(err, &se) && len(se.Fields) > 0 {
			return LineResult{Line: n, Status: "invalid", Errors: se.Fields}
		}
		return LineResult{Line: n, Status: "invalid", Errors: []senda.FieldError{{Location: "line", Key: "household.import_failed", Args: map[string]any{"reason": fmt.Sprint(senda.ErrorCode(err))}}}}
	}
	return LineResult{Line: n, Status: "created", Receipt: out.Receipt}
}
