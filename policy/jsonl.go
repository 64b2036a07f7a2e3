package policy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/profile"
)

// ScreenJSONL screens the people read from r as JSON Lines and writes one
// line per person and programme to w, with explanations in English. See
// ScreenJSONLLang.
func ScreenJSONL(ctx context.Context, pack *Pack, asOf time.Time, programs []string, r io.Reader, w io.Writer) error {
	return ScreenJSONLLang(ctx, pack, asOf, DefaultLang, programs, r, w)
}

// MaxLineBytes is the longest input line ScreenJSONL accepts.
const MaxLineBytes = 1 << 20

// maxErrorFields bounds the field errors the returned error lists.
const maxErrorFields = 100

// Message keys of ScreenJSONL errors.
const (
	KeyUnknownProgram = "policy.unknown_program" // a programme id the pack does not have
	KeyBadLines       = "policy.bad_lines"       // some input lines were not screened
	KeyJSONSyntax     = "profile.json_syntax"    // a line is not one JSON object
	KeyJSONType       = "profile.json_type"      // a value has the wrong JSON type
	KeyJSONUnknown    = "profile.unknown_field"  // a field the schema does not have
	KeyLineTooLong    = "profile.line_too_long"  // a line longer than MaxLineBytes
	KeyRead           = "policy.read"
	KeyWrite          = "policy.write"
)

// ScreenJSONLLang screens the people read from r as JSON Lines and writes
// one JSON line per person and programme to w, in input order, with
// explanations in lang:
//
//	{"id":"p1","program":"chnv_parole","result":"eligible","criteria":[{"id":"open","passed":true,"explanation":"..."}],"policy_version":"2025.1"}
//
// Each input line is one profile.Profile: a person's fields (the schema in
// docs/profile.schema.json, with a required "id") and an optional
// "household" object holding the other members and the facts they share.
// Blank lines are skipped. Programmes are the pack's, in pack order, or
// programs in their order; an unknown programme id is refused before
// anything is read.
//
// A line that cannot be screened (not JSON, a field the schema does not
// have, a value of the wrong type, an invalid answer) does not stop the
// others: in its place ScreenJSONLLang writes an error line naming the line
// number and the fields,
//
//	{"line":3,"id":"p3","error":"profile.invalid","fields":[{"location":"birth_date","key":"profile.partial_date"}]}
//
// and, after the last line, returns a *senda.Error (code invalid, key
// policy.bad_lines) whose Fields locate the first problems as
// "line 3: birth_date". Read and write failures and cancellation of ctx stop
// the run and are returned as they happen.
//
// Lines are screened in parallel and written in input order.
func ScreenJSONLLang(ctx context.Context, pack *Pack, asOf time.Time, lang string, programs []string, r io.Reader, w io.Writer) error {
	for _, id := range programs {
		if _, ok := pack.byID[id]; !ok {
			return senda.Errorf(senda.CodeInvalid, KeyUnknownProgram, map[string]any{"program": id, "version": pack.version})
		}
	}
	j := &jsonlRun{pack: pack, progs: pack.selectPrograms(programs), day: dayOf(asOf), lang: baseLangOrDefault(lang)}
	return j.run(ctx, r, w)
}

type jsonlRun struct {
	pack  *Pack
	progs []*program
	day   int
	lang  string
}

// batch is a run of consecutive input lines, screened by one worker.
type batch struct {
	first   int // number of the first line
	buf     []byte
	lines   []lineRef
	out     []byte
	errs    []senda.FieldError // of the bad lines, in order
	bad     int
	results []Result
	done    chan struct{}
}

type lineRef struct {
	start, end int
	tooLong    bool
}

const batchLines = 256

func (j *jsonlRun) run(ctx context.Context, r io.Reader, w io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *batch)
	order := make(chan *batch, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := j.pack.pool.Get().(*screener)
			defer j.pack.pool.Put(s)
			for b := range jobs {
				j.screenBatch(s, b)
				close(b.done)
			}
		}()
	}
	var (
		writeErr error
		bad      int
		fields   []senda.FieldError
		written  = make(chan struct{})
	)
	go func() {
		defer close(written)
		for b := range order {
			<-b.done
			bad += b.bad
			for _, f := range b.errs {
				if len(fields) < maxErrorFields {
					fields = append(fields, f)
				}
			}
			if writeErr == nil && len(b.out) > 0 {
				if _, err := w.Write(b.out); err != nil {
					writeErr = err
					cancel()
				}
			}
		}
	}()
	readErr := j.read(ctx, bufio.NewReaderSize(r, 64<<10), order, jobs)
	close(jobs)
	close(order)
	wg.Wait()
	<-written
	switch {
	case writeErr != nil:
		return &senda.Error{Code: senda.CodeUnavailable, Key: KeyWrite, Err: writeErr}
	case readErr != nil && ctx.Err() != nil && errors.Is(readErr, ctx.Err()):
		return readErr
	case readErr != nil:
		return &senda.Error{Code: senda.CodeUnavailable, Key: KeyRead, Err: readErr}
	case bad > 0:
		return &senda.Error{Code: senda.CodeInvalid, Key: KeyBadLines, Args: map[string]any{"count": bad}, Fields: fields}
	}
	return nil
}

// read splits r into batches and hands each to the writer (to keep the
// order) and to a worker.
func (j *jsonlRun) read(ctx context.Context, br *bufio.Reader, order, jobs chan<- *batch) error {
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := &batch{first: n + 1, done: make(chan struct{})}
		var err error
		for len(b.lines) < batchLines {
			var ref lineRef
			ref, err = readLine(br, b)
			if err == io.EOF && ref.end == ref.start && !ref.tooLong {
				break
			}
			b.lines = append(b.lines, ref)
			n++
			if err != nil {
				break
			}
		}
		if len(b.lines) > 0 {
			order <- b
			jobs <- b
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLine appends the next line (without its end) to b.buf.
func readLine(br *bufio.Reader, b *batch) (lineRef, error) {
	ref := lineRef{start: len(b.buf)}
	for {
		chunk, err := br.ReadSlice('\n')
		if !ref.tooLong {
			if len(b.buf)-ref.start+len(chunk) > MaxLineBytes+1 {
				ref.tooLong = true
				b.buf = b.buf[:ref.start]
			} else {
				b.buf = append(b.buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		ref.end = len(b.buf)
		if err == nil || err == io.EOF {
			return ref, err
		}
		return ref, err
	}
}

func (j *jsonlRun) screenBatch(s *screener, b *batch) {
	results := b.results[:0]
	defer func() { b.results = nil }()
	for i, ref := range b.lines {
		no := b.first + i
		if ref.tooLong {
			b.addError(no, "", []senda.FieldError{{Location: "", Key: KeyLineTooLong, Args: map[string]any{"max": MaxLineBytes}}}, KeyLineTooLong)
			continue
		}
		line := bytes.TrimSpace(b.buf[ref.start:ref.end])
		if len(line) == 0 {
			continue
		}
		var p profile.Profile
		if fe := decodeProfile(line, &p); fe != nil {
			b.addError(no, p.ID, []senda.FieldError{*fe}, fe.Key)
			continue
		}
		if err := p.Validate(); err != nil {
			var se *senda.Error
			errors.As(err, &se)
			b.addError(no, p.ID, se.Fields, se.Key)
			continue
		}
		s.load(&p.Person, p.Household, j.day)
		results = s.runInto(results[:0], &s.bulkSlab, j.progs, j.lang)
		for k := range results {
			b.out = appendResultLine(b.out, p.ID, &results[k])
		}
	}
}

// addError writes an error line for line no and records its fields.
func (b *batch) addError(no int, id string, fields []senda.FieldError, key string) {
	b.bad++
	o := b.out
	o = append(o, `{"line":`...)
	o = strconv.AppendInt(o, int64(no), 10)
	if id != "" {
		o = append(o, `,"id":`...)
		o = appendJSONString(o, id)
	}
	o = append(o, `,"error":`...)
	o = appendJSONString(o, key)
	o = append(o, `,"fields":[`...)
	for i, f := range fields {
		if i > 0 {
			o = append(o, ',')
		}
		o = append(o, `{"location":`...)
		o = appendJSONString(o, f.Location)
		o = append(o, `,"key":`...)
		o = appendJSONString(o, f.Key)
		if msg, ok := f.Args["message"].(string); ok {
			o = append(o, `,"message":`...)
			o = appendJSONString(o, msg)
		}
		o = append(o, '}')
		loc := fmt.Sprintf("line %d", no)
		if f.Location != "" {
			loc += ": " + f.Location
		}
		args := map[string]any{"line": no}
		for k, v := range f.Args {
			args[k] = v
		}
		b.errs = append(b.errs, senda.FieldError{Location: loc, Key: f.Key, Args: args})
	}
	b.out = append(o, "]}\n"...)
}

var unknownFieldName = strings.NewReplacer(`json: unknown field "`, "", `"`, "")

// decodeProfile strictly decodes one line: one JSON object, no unknown
// field, every value of its schema type.
func decodeProfile(line []byte, p *profile.Profile) *senda.FieldError {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	err := dec.Decode(p)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = &json.SyntaxError{Offset: dec.InputOffset()}
		}
	}
	if err == nil {
		return nil
	}
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &typ):
		return &senda.FieldError{Location: jsonPath(typ.Field), Key: KeyJSONType,
			Args: map[string]any{"message": "expected " + typ.Type.String() + ", got JSON " + typ.Value}}
	case strings.HasPrefix(err.Error(), `json: unknown field "`):
		return &senda.FieldError{Location: unknownFieldName.Replace(err.Error()), Key: KeyJSONUnknown}
	case errors.As(err, &syn):
		return &senda.FieldError{Key: KeyJSONSyntax, Args: map[string]any{"offset": syn.Offset, "message": "not a single JSON object"}}
	}
	return &senda.FieldError{Key: KeyJSONSyntax, Args: map[string]any{"message": "not a single JSON object"}}
}

// jsonPath turns encoding/json's "household.members.0.birth_date" into
// "household.members[0].birth_date".
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	var b strings.Builder
	for i, part := range parts {
		if part == "Person" { // the embedded struct of profile.Profile
			parts[i] = ""
			continue
		}
		if _, err := strconv.Atoi(part); err == nil && i > 0 {
			b.WriteString("[" + part + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(part)
	}
	return b.String()
}

// appendResultLine writes one output line.
func appendResultLine(o []byte, id string, r *Result) []byte {
	o = append(o, `{"id":`...)
	o = appendJSONString(o, id)
	o = append(o, `,"program":`...)
	o = appendJSONString(o, r.Program)
	o = append(o, `,"result":"`...)
	o = append(o, r.Result...)
	o = append(o, `","criteria":[`...)
	for i := range r.Criteria {
		c := &r.Criteria[i]
		if i > 0 {
			o = append(o, ',')
		}
		o = append(o, `{"id":`...)
		o = appendJSONString(o, c.ID)
		switch {
		case c.Passed == nil:
			o = append(o, `,"passed":null`...)
		case *c.Passed:
			o = append(o, `,"passed":true`...)
		default:
			o = append(o, `,"passed":false`...)
		}
		o = append(o, `,"explanation":`...)
		o = appendJSONString(o, c.Explanation)
		o = append(o, '}')
	}
	o = append(o, `],"policy_version":`...)
	o = appendJSONString(o, r.PolicyVersion)
	return append(o, "}\n"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD.
func appendJSONString(o []byte, s string) []byte {
	o = append(o, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			o = append(o, s[start:i]...)
			switch c {
			case '"', '\\':
				o = append(o, '\\', c)
			case '\n':
				o = append(o, '\\', 'n')
			case '\r':
				o = append(o, '\\', 'r')
			case '\t':
				o = append(o, '\\', 't')
			default:
				o = append(o, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			o = append(o, s[start:i]...)
			o = append(o, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			o = append(o, s[start:i]...)
			o = append(o, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	o = append(o, s[start:]...)
	return append(o, '"')
}
