package eligibility

import (
	"bytes"
	"context"
	"io/fs"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/store"
	"github.com/senda-platform/senda/policy"
)

// Source returns a version as one YAML file: what a programme manager
// downloads to start a draft from. A shipped version kept as a directory
// of files is joined into one: the shared part first, then every file's
// lists and programmes in file order.
func (s *Service) Source(ctx context.Context, version string) (fileName string, data []byte, err error) {
	reg, err := s.Registry(ctx)
	if err != nil {
		return "", nil, err
	}
	p, err := reg.Version(version)
	if err != nil {
		return "", nil, err
	}
	s.mu.Lock()
	m := s.meta[p.Version()]
	s.mu.Unlock()
	if m.source == SourcePublished {
		var r store.PolicyPackRow
		err := s.DB.View(ctx, func(tx *store.Tx) (err error) {
			r, err = tx.PolicyPack(ctx, m.packID)
			return err
		})
		return r.FileName, []byte(r.Source), err
	}
	data, err = joinPack(policy.ShippedFS(), p.File())
	return cleanFileName(p.Version()), data, err
}

// joinPack reads the pack at name in fsys (a file, or a directory of
// .yaml files) as one YAML document.
func joinPack(fsys fs.FS, name string) ([]byte, error) {
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, senda.Wrap(err, policy.KeyReadFile)
	}
	if !st.IsDir() {
		return fs.ReadFile(fsys, name)
	}
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		return nil, senda.Wrap(err, policy.KeyReadFile)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var lists, programs *yaml.Node
	root := &yaml.Node{Kind: yaml.MappingNode}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, path.Join(name, n))
		if err != nil {
			return nil, senda.Wrap(err, policy.KeyReadFile)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
			return nil, &senda.Error{Code: senda.CodeInvalid, Key: policy.KeyYAMLSyntax, Args: map[string]any{"file": n}, Err: err}
		}
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			switch k.Value {
			case "lists":
				if lists == nil {
					lists = v
					continue
				}
				lists.Content = append(lists.Content, v.Content...)
			case "programs":
				if programs == nil {
					programs = v
					continue
				}
				programs.Content = append(programs.Content, v.Content...)
			default:
				root.Content = append(root.Content, k, v)
			}
		}
	}
	if lists != nil {
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "lists"}, lists)
	}
	if programs != nil {
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "programs"}, programs)
	}
	unfold(root)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, senda.Wrap(err, policy.KeyReadFile)
	}
	enc.Close()
	return buf.Bytes(), nil
}

// unfold writes folded texts as they read: literal when they span lines,
// plain otherwise, so that re-emitting them does not re-wrap expressions.
func unfold(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Style&yaml.FoldedStyle != 0 {
		n.Style &^= yaml.FoldedStyle
		if strings.Contains(n.Value, "\n") {
			n.Style |= yaml.LiteralStyle
		}
	}
	for _, c := range n.Content {
		unfold(c)
	}
}
