package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/profile"
)

// Pack is one version of the policy: programmes and their criteria, loaded
// from a YAML file and compiled. A Pack is immutable and safe for
// concurrent use.
type Pack struct {
	version       string
	effectiveFrom profile.Date
	file          string
	description   Text
	programs      []*program
	byID          map[string]*program
	env           *env
	maxSlots      int       // local variables of the most demanding criterion
	fastFields    uint64    // the fields the compact evaluator reads (their bits)
	numCriteria   int       // criteria of every programme; each has its index
	pool          sync.Pool // of *screener
}

// Program describes one programme of a pack.
type Program struct {
	ID            string       `json:"id"`
	Name          Text         `json:"name"`
	Description   Text         `json:"description"`
	HandledBy     string       `json:"handled_by"`
	EffectiveFrom profile.Date `json:"effective_from"`
	EffectiveTo   profile.Date `json:"effective_to,omitempty"` // "" while open-ended
	Note          string       `json:"note,omitempty"`
	Sources       []Source     `json:"sources"`
	Criteria      []Criterion  `json:"criteria"`
}

// Source is a document a programme's rules were read in, and the dates its
// content applied.
type Source struct {
	URL         string       `json:"url"`
	Title       string       `json:"title,omitempty"`
	AppliedFrom profile.Date `json:"applied_from"`
	AppliedTo   profile.Date `json:"applied_to,omitempty"`
	Confidence  string       `json:"confidence,omitempty"` // P primary, S secondary, U unverified
}

// Criterion describes one criterion of a programme.
type Criterion struct {
	ID            string       `json:"id"`
	Expr          string       `json:"expr"`
	EffectiveFrom profile.Date `json:"effective_from,omitempty"`
	EffectiveTo   profile.Date `json:"effective_to,omitempty"`
	Pass          Text         `json:"pass"`
	Fail          Text         `json:"fail"`
	Hint          Text         `json:"hint"`
	Note          string       `json:"note,omitempty"`
	Reads         []string     `json:"reads"` // profile fields the expression reads
	Cost          uint64       `json:"cost"`  // worst-case CEL cost
}

type program struct {
	info             Program
	from, to         int // days since 1970-01-01; to is math.MaxInt when open-ended
	openPass         Text
	openFail         Text
	openHint         Text
	criteria         []*criterion
	criteriaInEffect func(day int) []*criterion
}

type criterion struct {
	index       int // among the pack's criteria
	info        Criterion
	from, to    int
	c           *compiled
	needsInfo   Text     // needs_info with the pass text
	needsFields Text     // needs_fields, with {fields} to fill
	undecided   Text     // undecided with the pass text
	needsCache  sync.Map // unknown mask -> *needs
}

// unknownText explains an undecided criterion in lang: the missing answers
// when there are some, else that a caseworker decides.
func (c *criterion) unknownText(lang string, needs []string) string {
	if len(needs) == 0 {
		return c.undecided.In(lang)
	}
	return c.needsInfo.In(lang) + " " + strings.ReplaceAll(c.needsFields.In(lang), "{fields}", strings.Join(needs, ", "))
}

// OpenCriterion is the id of the criterion the engine adds first to every
// programme: whether the programme was open on the screening date.
const OpenCriterion = "open"

// Version returns the pack's version string.
func (p *Pack) Version() string { return p.version }

// EffectiveFrom returns the first date the pack applies to.
func (p *Pack) EffectiveFrom() profile.Date { return p.effectiveFrom }

// File returns the name the pack was loaded from.
func (p *Pack) File() string { return p.file }

// Description returns the pack's description.
func (p *Pack) Description() Text { return p.description }

// Programs describes the pack's programmes in pack order.
func (p *Pack) Programs() []Program {
	out := make([]Program, len(p.programs))
	for i, pr := range p.programs {
		out[i] = pr.info
	}
	return out
}

// Program describes the programme id.
func (p *Pack) Program(id string) (Program, bool) {
	pr, ok := p.byID[id]
	if !ok {
		return Program{}, false
	}
	return pr.info, true
}

// Error keys of a refused pack. The Error's own key is KeyInvalidPack and
// its Args carry "file"; each FieldError's Location is
// "<file>: programs[<id>].criteria[<id>]" (or a shorter path, or
// "<file>: line N" where nothing better is known) and its Args carry
// "line", "column" and an English "message".
const (
	KeyInvalidPack  = "policy.invalid_pack"
	KeyYAMLSyntax   = "policy.yaml_syntax"
	KeyUnknownField = "policy.unknown_field"
	KeyWrongType    = "policy.wrong_type"
	KeyBadDate      = "policy.bad_date"
	KeyMissing      = "policy.missing"
	KeyMissingText  = "policy.missing_text"
	KeyBadID        = "policy.bad_id"
	KeyDuplicateID  = "policy.duplicate_id"
	KeyDateOrder    = "policy.date_order"
	KeyBadURL       = "policy.bad_url"
	KeyBadList      = "policy.bad_list"
	KeyReadFile     = "policy.read_file"
)

// Load reads and compiles the pack at name in fsys: one YAML file, or a
// directory whose *.yaml files together form one pack (exactly one of them,
// conventionally pack.yaml, holds the version and the shared texts; the
// others hold programmes). A bad pack is refused with a *senda.Error (code
// invalid, key policy.invalid_pack) whose Fields name the file, programme
// and criterion of every problem found.
func Load(fsys fs.FS, name string) (*Pack, error) {
	files, err := readPackFiles(fsys, name)
	if err != nil {
		return nil, err
	}
	return parseFiles(name, files)
}

// LoadFile reads and compiles the pack at path (a file or a pack
// directory) on the local file system.
func LoadFile(path string) (*Pack, error) {
	path = filepath.Clean(path)
	return Load(os.DirFS(filepath.Dir(path)), filepath.Base(path))
}

type srcFile struct {
	name string
	data []byte
}

func readPackFiles(fsys fs.FS, name string) ([]srcFile, error) {
	notFound := func(err error) error {
		return &senda.Error{Code: senda.CodeNotFound, Key: KeyReadFile, Args: map[string]any{"file": name}, Err: err}
	}
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, notFound(err)
	}
	if !st.IsDir() {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, notFound(err)
		}
		return []srcFile{{name, data}}, nil
	}
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		return nil, notFound(err)
	}
	var files []srcFile
	for _, e := range entries {
		if e.IsDir() || !isYAML(e.Name()) {
			continue
		}
		fname := path.Join(name, e.Name())
		data, err := fs.ReadFile(fsys, fname)
		if err != nil {
			return nil, notFound(err)
		}
		files = append(files, srcFile{fname, data})
	}
	if len(files) == 0 {
		return nil, notFound(fmt.Errorf("%s holds no .yaml file", name))
	}
	return files, nil
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// The YAML form of a pack. Decoding is strict: unknown fields are refused.
type yPack struct {
	Version       string              `yaml:"version"`
	EffectiveFrom yDate               `yaml:"effective_from"`
	Description   Text                `yaml:"description"`
	Texts         yTexts              `yaml:"texts"`
	Lists         map[string][]string `yaml:"lists"`
	Programs      []yProgram          `yaml:"programs"`
	Anchors       yaml.Node           `yaml:"anchors"` // free space for YAML anchors
}

type yTexts struct {
	OpenPass    Text `yaml:"open_pass"`
	OpenFail    Text `yaml:"open_fail"`
	OpenHint    Text `yaml:"open_hint"`
	NoEndDate   Text `yaml:"no_end_date"`
	NeedsInfo   Text `yaml:"needs_info"`
	NeedsFields Text `yaml:"needs_fields"`
	Undecided   Text `yaml:"undecided"`
}

type yProgram struct {
	ID            string       `yaml:"id"`
	Name          Text         `yaml:"name"`
	Description   Text         `yaml:"description"`
	HandledBy     string       `yaml:"handled_by"`
	EffectiveFrom yDate        `yaml:"effective_from"`
	EffectiveTo   yDate        `yaml:"effective_to"`
	Note          string       `yaml:"note"`
	Sources       []ySource    `yaml:"sources"`
	Criteria      []yCriterion `yaml:"criteria"`

	file  string // the file the programme is in
	index int    // its index in that file's programs
}

type ySource struct {
	URL         string `yaml:"url"`
	Title       string `yaml:"title"`
	AppliedFrom yDate  `yaml:"applied_from"`
	AppliedTo   yDate  `yaml:"applied_to"`
	Confidence  string `yaml:"confidence"`
}

type yCriterion struct {
	ID            string `yaml:"id"`
	Expr          yExpr  `yaml:"expr"`
	EffectiveFrom yDate  `yaml:"effective_from"`
	EffectiveTo   yDate  `yaml:"effective_to"`
	Pass          Text   `yaml:"pass"`
	Fail          Text   `yaml:"fail"`
	Hint          Text   `yaml:"hint"`
	Note          string `yaml:"note"`
}

// yDate is a YAML calendar date with its position.
type yDate struct {
	Date      profile.Date
	Line, Col int
	Set       bool
}

func (d *yDate) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || !profile.Date(n.Value).Valid() {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: column %d: %q is not a date YYYY-MM-DD", n.Line, n.Column, clip(n.Value))}}
	}
	*d = yDate{Date: profile.Date(n.Value), Line: n.Line, Col: n.Column, Set: true}
	return nil
}

func (d yDate) days(def int) int {
	if !d.Set {
		return def
	}
	n, _ := d.Date.Days()
	return n
}

// yExpr is a CEL expression with its position in the file.
type yExpr struct {
	Src       string
	Line, Col int
}

func (e *yExpr) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: column %d: expr must be a text", n.Line, n.Column)}}
	}
	*e = yExpr{Src: n.Value, Line: n.Line, Col: n.Column}
	return nil
}

var (
	idPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	lineInError  = regexp.MustCompile(`line (\d+)`)
	unknownField = regexp.MustCompile(`field (\S+) not found in type`)
)

// Parse compiles the pack in data; name is used in error locations.
func Parse(name string, data []byte) (*Pack, error) {
	return parseFiles(name, []srcFile{{name, data}})
}

// parseFiles decodes every file, merges them into one pack and compiles it.
func parseFiles(name string, files []srcFile) (*Pack, error) {
	l := &loader{pack: name}
	var merged yPack
	header := ""
	for _, f := range files {
		yp, ok := l.decode(f)
		if !ok {
			continue
		}
		l.file = f.name
		if yp.Version != "" || yp.EffectiveFrom.Set || yp.Description != (Text{}) || yp.Texts != (yTexts{}) {
			if header != "" {
				l.add(l.file, KeyDuplicateID, 0, 0, "version, effective_from, description and texts belong in one file of a pack; "+header+" has them already")
				continue
			}
			header = f.name
			merged.Version, merged.EffectiveFrom, merged.Description, merged.Texts = yp.Version, yp.EffectiveFrom, yp.Description, yp.Texts
		}
		for k, v := range yp.Lists {
			if merged.Lists == nil {
				merged.Lists = map[string][]string{}
			}
			if _, dup := merged.Lists[k]; dup {
				l.add(l.loc("lists."+k), KeyDuplicateID, 0, 0, "list "+k+" is defined twice in the pack")
				continue
			}
			merged.Lists[k] = v
		}
		for i := range yp.Programs {
			yp.Programs[i].file = f.name
			yp.Programs[i].index = i
		}
		merged.Programs = append(merged.Programs, yp.Programs...)
	}
	if len(l.fields) > 0 {
		return nil, l.err()
	}
	if header == "" {
		header = files[0].name
	}
	l.file = header
	p := l.build(&merged)
	if len(l.fields) > 0 {
		return nil, l.err()
	}
	p.file = name
	return p, nil
}

// decode strictly decodes one file, recording its problems.
func (l *loader) decode(f srcFile) (*yPack, bool) {
	l.file = f.name
	var root yaml.Node
	if err := yaml.Unmarshal(f.data, &root); err != nil {
		line := 0
		if m := lineInError.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		l.add(l.locateLine(nil, line), KeyYAMLSyntax, line, 0, err.Error())
		return nil, false
	}
	var yp yPack
	dec := yaml.NewDecoder(bytes.NewReader(f.data))
	dec.KnownFields(true)
	if err := dec.Decode(&yp); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				line := 0
				if m := lineInError.FindStringSubmatch(msg); m != nil {
					line, _ = strconv.Atoi(m[1])
				}
				key := KeyWrongType
				switch {
				case unknownField.MatchString(msg):
					key = KeyUnknownField
				case strings.Contains(msg, "is not a date"):
					key = KeyBadDate
				}
				l.add(l.locateLine(&root, line), key, line, 0, msg)
			}
		} else if errors.Is(err, io.EOF) {
			l.add(l.file, KeyMissing, 0, 0, "the file is empty")
		} else {
			l.add(l.file, KeyYAMLSyntax, 0, 0, err.Error())
		}
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		l.add(l.file, KeyYAMLSyntax, extra.Line, 0, "a pack file holds one YAML document")
		return nil, false
	}
	return &yp, true
}

type loader struct {
	pack   string // the name the pack is loaded from
	file   string // the file being checked
	fields []senda.FieldError
}

func (l *loader) add(loc, key string, line, col int, msg string) {
	args := map[string]any{"file": l.file, "message": msg}
	if line > 0 {
		args["line"] = line
	}
	if col > 0 {
		args["column"] = col
	}
	l.fields = append(l.fields, senda.FieldError{Location: loc, Key: key, Args: args})
}

func (l *loader) err() error {
	return &senda.Error{Code: senda.CodeInvalid, Key: KeyInvalidPack, Args: map[string]any{"file": l.pack}, Fields: l.fields}
}

func (l *loader) loc(path string) string {
	if path == "" {
		return l.file
	}
	return l.file + ": " + path
}

func progPath(i int, id string) string {
	if id == "" || !idPattern.MatchString(id) {
		return fmt.Sprintf("programs[%d]", i)
	}
	return "programs[" + id + "]"
}

func critPath(prog string, j int, id string) string {
	if id == "" || !idPattern.MatchString(id) {
		return fmt.Sprintf("%s.criteria[%d]", prog, j)
	}
	return prog + ".criteria[" + id + "]"
}

// locateLine names the programme and criterion that hold a line of the
// file, from the YAML node tree.
func (l *loader) locateLine(root *yaml.Node, line int) string {
	if root == nil || line <= 0 || len(root.Content) == 0 {
		if line > 0 {
			return l.loc(fmt.Sprintf("line %d", line))
		}
		return l.file
	}
	doc := root.Content[0]
	progs := mapValue(doc, "programs")
	if progs == nil || progs.Kind != yaml.SequenceNode {
		return l.loc(fmt.Sprintf("line %d", line))
	}
	i := itemAt(progs.Content, line)
	if i < 0 {
		return l.loc(fmt.Sprintf("line %d", line))
	}
	pn := progs.Content[i]
	path := progPath(i, scalar(mapValue(pn, "id")))
	crits := mapValue(pn, "criteria")
	if crits != nil && crits.Kind == yaml.SequenceNode {
		if j := itemAt(crits.Content, line); j >= 0 {
			path = critPath(path, j, scalar(mapValue(crits.Content[j], "id")))
		}
	}
	return l.loc(path)
}

// itemAt returns the index of the sequence item whose lines hold line.
func itemAt(items []*yaml.Node, line int) int {
	found := -1
	for i, it := range items {
		if it.Line <= line {
			found = i
		}
	}
	if found >= 0 && found == len(items)-1 && line > lastLine(items[found]) {
		return -1
	}
	return found
}

func lastLine(n *yaml.Node) int {
	last := n.Line
	for _, c := range n.Content {
		if l := lastLine(c); l > last {
			last = l
		}
	}
	if n.Kind == yaml.ScalarNode && (n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle) {
		last += strings.Count(n.Value, "\n")
	}
	return last
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func (l *loader) text(path, field string, t Text) {
	if miss := t.missing(); len(miss) > 0 {
		l.fields = append(l.fields, senda.FieldError{
			Location: l.loc(path), Key: KeyMissingText,
			Args: map[string]any{"file": l.file, "field": field, "languages": strings.Join(miss, ","),
				"message": field + " lacks the languages " + strings.Join(miss, ", ")},
		})
	}
}

func (l *loader) build(yp *yPack) *Pack {
	p := &Pack{version: strings.TrimSpace(yp.Version), file: l.file, description: yp.Description, byID: map[string]*program{}}
	if p.version == "" {
		l.add(l.loc("version"), KeyMissing, 0, 0, "version is required")
	}
	if !yp.EffectiveFrom.Set {
		l.add(l.loc("effective_from"), KeyMissing, 0, 0, "effective_from is required")
	}
	p.effectiveFrom = yp.EffectiveFrom.Date
	l.text("description", "description", yp.Description)
	for _, t := range []struct {
		name string
		t    Text
	}{{"open_pass", yp.Texts.OpenPass}, {"open_fail", yp.Texts.OpenFail}, {"open_hint", yp.Texts.OpenHint},
		{"no_end_date", yp.Texts.NoEndDate}, {"needs_info", yp.Texts.NeedsInfo},
		{"needs_fields", yp.Texts.NeedsFields}, {"undecided", yp.Texts.Undecided}} {
		l.text("texts."+t.name, t.name, t.t)
	}
	for name, vals := range yp.Lists {
		if !idPattern.MatchString(name) {
			l.add(l.loc("lists."+name), KeyBadList, 0, 0, "list names are lower-case identifiers")
			continue
		}
		for _, v := range vals {
			if v == "" {
				l.add(l.loc("lists."+name), KeyBadList, 0, 0, "list values must not be empty")
				break
			}
		}
	}
	e, err := newEnv(yp.Lists)
	if err != nil {
		l.add(l.loc("lists"), KeyBadList, 0, 0, err.Error())
		return nil
	}
	p.env = e
	if len(yp.Programs) == 0 {
		l.add(l.loc("programs"), KeyMissing, 0, 0, "a pack needs at least one programme")
	}
	for i := range yp.Programs {
		yr := &yp.Programs[i]
		l.file = yr.file
		path := progPath(yr.index, yr.ID)
		pr := l.buildProgram(p, yr, path, &yp.Texts)
		if pr == nil {
			continue
		}
		if _, dup := p.byID[yr.ID]; dup {
			l.add(l.loc(path), KeyDuplicateID, 0, 0, "programme id "+yr.ID+" is used twice")
			continue
		}
		p.byID[yr.ID] = pr
		p.programs = append(p.programs, pr)
	}
	p.pool.New = func() any { return newScreener(p) }
	return p
}

func (l *loader) buildProgram(p *Pack, yr *yProgram, path string, texts *yTexts) *program {
	n := len(l.fields)
	if !idPattern.MatchString(yr.ID) {
		l.add(l.loc(path), KeyBadID, 0, 0, fmt.Sprintf("programme id %q must be a lower-case identifier", yr.ID))
	}
	l.text(path, "name", yr.Name)
	l.text(path, "description", yr.Description)
	if strings.TrimSpace(yr.HandledBy) == "" {
		l.add(l.loc(path), KeyMissing, 0, 0, "handled_by is required")
	}
	if !yr.EffectiveFrom.Set {
		l.add(l.loc(path), KeyMissing, 0, 0, "effective_from is required")
	}
	pr := &program{from: yr.EffectiveFrom.days(math.MinInt), to: yr.EffectiveTo.days(math.MaxInt)}
	if pr.to < pr.from {
		l.add(l.loc(path), KeyDateOrder, yr.EffectiveTo.Line, yr.EffectiveTo.Col, "effective_to is before effective_from")
	}
	if len(yr.Sources) == 0 {
		l.add(l.loc(path), KeyMissing, 0, 0, "a programme cites at least one source")
	}
	info := Program{ID: yr.ID, Name: yr.Name, Description: yr.Description, HandledBy: yr.HandledBy,
		EffectiveFrom: yr.EffectiveFrom.Date, EffectiveTo: yr.EffectiveTo.Date, Note: yr.Note}
	for k, s := range yr.Sources {
		spath := fmt.Sprintf("%s.sources[%d]", path, k)
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.add(l.loc(spath), KeyBadURL, 0, 0, fmt.Sprintf("%q is not an http(s) URL", clip(s.URL)))
		}
		if !s.AppliedFrom.Set {
			l.add(l.loc(spath), KeyMissing, 0, 0, "applied_from is required")
		}
		if s.AppliedTo.Set && s.AppliedTo.days(0) < s.AppliedFrom.days(0) {
			l.add(l.loc(spath), KeyDateOrder, s.AppliedTo.Line, s.AppliedTo.Col, "applied_to is before applied_from")
		}
		switch s.Confidence {
		case "", "P", "S", "U", "P/S":
		default:
			l.add(l.loc(spath), KeyWrongType, 0, 0, "confidence is P, S, P/S or U")
		}
		info.Sources = append(info.Sources, Source{URL: s.URL, Title: s.Title, AppliedFrom: s.AppliedFrom.Date,
			AppliedTo: s.AppliedTo.Date, Confidence: s.Confidence})
	}
	if len(yr.Criteria) == 0 {
		l.add(l.loc(path), KeyMissing, 0, 0, "a programme needs at least one criterion")
	}
	seen := map[string]bool{}
	for j := range yr.Criteria {
		yc := &yr.Criteria[j]
		cpath := critPath(path, j, yc.ID)
		switch {
		case !idPattern.MatchString(yc.ID):
			l.add(l.loc(cpath), KeyBadID, yc.Expr.Line, 0, fmt.Sprintf("criterion id %q must be a lower-case identifier", yc.ID))
		case yc.ID == OpenCriterion:
			l.add(l.loc(cpath), KeyBadID, yc.Expr.Line, 0, "criterion id open is reserved for the programme's dates")
		case seen[yc.ID]:
			l.add(l.loc(cpath), KeyDuplicateID, yc.Expr.Line, 0, "criterion id "+yc.ID+" is used twice")
		}
		seen[yc.ID] = true
		c := l.buildCriterion(p, yc, cpath, texts)
		if c != nil {
			pr.criteria = append(pr.criteria, c)
			info.Criteria = append(info.Criteria, c.info)
		}
	}
	if len(l.fields) > n {
		return nil
	}
	pr.info = info
	from, to := string(yr.EffectiveFrom.Date), string(yr.EffectiveTo.Date)
	render := func(t Text) Text {
		out := t
		for _, lang := range profile.Languages {
			toText := to
			if to == "" {
				toText = texts.NoEndDate.In(lang)
			}
			r := strings.NewReplacer("{from}", from, "{to}", toText)
			setLang(&out, lang, r.Replace(t.In(lang)))
		}
		return out
	}
	pr.openPass, pr.openFail, pr.openHint = render(texts.OpenPass), render(texts.OpenFail), render(texts.OpenHint)
	return pr
}

func setLang(t *Text, lang, s string) {
	switch lang {
	case "es":
		t.ES = s
	case "en":
		t.EN = s
	case "ht":
		t.HT = s
	case "pt":
		t.PT = s
	case "fr":
		t.FR = s
	}
}

func (l *loader) buildCriterion(p *Pack, yc *yCriterion, path string, texts *yTexts) *criterion {
	n := len(l.fields)
	l.text(path, "pass", yc.Pass)
	l.text(path, "fail", yc.Fail)
	l.text(path, "hint", yc.Hint)
	c := &criterion{index: p.numCriteria, from: yc.EffectiveFrom.days(math.MinInt), to: yc.EffectiveTo.days(math.MaxInt)}
	p.numCriteria++
	if c.to < c.from {
		l.add(l.loc(path), KeyDateOrder, yc.EffectiveTo.Line, yc.EffectiveTo.Col, "effective_to is before effective_from")
	}
	if strings.TrimSpace(yc.Expr.Src) == "" {
		l.add(l.loc(path), KeyMissing, yc.Expr.Line, yc.Expr.Col, "expr is required")
		return nil
	}
	comp, xerr := p.env.compile(yc.Expr.Src)
	if xerr != nil {
		l.add(l.loc(path), xerr.key, yc.Expr.Line, yc.Expr.Col, xerr.detail)
		return nil
	}
	if len(l.fields) > n {
		return nil
	}
	c.c = comp
	p.maxSlots = max(p.maxSlots, comp.slots)
	p.fastFields |= comp.used
	c.info = Criterion{ID: yc.ID, Expr: yc.Expr.Src, EffectiveFrom: yc.EffectiveFrom.Date, EffectiveTo: yc.EffectiveTo.Date,
		Pass: yc.Pass, Fail: yc.Fail, Hint: yc.Hint, Note: yc.Note, Reads: comp.reads, Cost: comp.cost}
	for _, lang := range profile.Languages {
		setLang(&c.needsInfo, lang, strings.ReplaceAll(texts.NeedsInfo.In(lang), "{condition}", yc.Pass.In(lang)))
		setLang(&c.undecided, lang, strings.ReplaceAll(texts.Undecided.In(lang), "{condition}", yc.Pass.In(lang)))
	}
	c.needsFields = texts.NeedsFields
	return c
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// programIDs returns the pack's programme ids, sorted.
func (p *Pack) programIDs() []string {
	ids := make([]string, 0, len(p.programs))
	for _, pr := range p.programs {
		ids = append(ids, pr.info.ID)
	}
	sort.Strings(ids)
	return ids
}

// dayOf returns the calendar date of t as days since 1970-01-01.
func dayOf(t time.Time) int {
	y, m, d := t.Date()
	return profile.DaysFromCivil(y, int(m), d)
}
