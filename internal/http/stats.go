package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"path/filepath"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/internal/i18n"
	"github.com/senda-platform/senda/internal/statsvc"
	"github.com/senda-platform/senda/stats"
)

// MaxStatsUpload bounds the size of one imported file.
const MaxStatsUpload = 64 << 20

// StatsQueryParams are the query options of the statistics routes; they
// mirror `senda stats query`.
type StatsQueryParams struct {
	By      []string `query:"by,explode" maxItems:"16" doc:"Group by these dimensions (repeat the parameter or separate with commas). Encounters: month, fiscal_year, component, region, aor, demographic, citizenship, title, encounter_type. Operations: month, fiscal_year, metric, country, place, nationality." example:"month"`
	Where   []string `query:"where,explode" maxItems:"64" doc:"DIM=VALUE, matched case-insensitively with the source label (citizenship also by ISO 3166-1 alpha-2 code). Repeat: the same DIM means any of the values, different DIMs must all hold." example:"citizenship=MX"`
	From    string   `query:"from" maxLength:"7" doc:"First calendar month, YYYY-MM, inclusive" example:"2024-01"`
	To      string   `query:"to" maxLength:"7" doc:"Last calendar month, YYYY-MM, inclusive" example:"2024-12"`
	Compare []string `query:"compare,explode" maxItems:"5" doc:"Comparisons to add: mom (month over month), yoy (year over year), rank (among the same calendar month of every year), record (highest month on record), share (percent of the total)"`
	Dataset string   `query:"dataset" maxLength:"64" doc:"Dataset key; default cbp-sw-land-border when imported"`
}

func (p StatsQueryParams) args() stats.QueryArgs {
	return stats.QueryArgs{Dataset: p.Dataset, By: p.By, Where: p.Where, From: p.From, To: p.To, Compare: p.Compare}
}

// StatsResult is a query result as JSON.
type StatsResult struct {
	Dataset  string           `json:"dataset" doc:"The dataset read"`
	Measure  string           `json:"measure" doc:"Name of the summed column: encounters, or count for operations"`
	Columns  []string         `json:"columns" doc:"The grouping dimensions, the measure, then the comparison columns"`
	Rows     []map[string]any `json:"rows" doc:"One object per row, sorted by the grouping dimensions: each column by name; fiscal years and counts are numbers, months (YYYY-MM) and labels strings; comparisons are null when not applicable"`
	Warnings []ProblemField   `json:"warnings" doc:"Filter values that matched nothing"`
}

// statsResultJSON is StatsResult with the rows already encoded.
type statsResultJSON struct {
	Dataset  string          `json:"dataset"`
	Measure  string          `json:"measure"`
	Columns  []string        `json:"columns"`
	Rows     json.RawMessage `json:"rows"`
	Warnings []ProblemField  `json:"warnings"`
}

// rawOut is a response whose body is written as is.
type rawOut struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

// localFields localises warnings.
func localFields(lang string, fs []senda.FieldError) []ProblemField {
	out := []ProblemField{}
	for _, f := range fs {
		out = append(out, ProblemField{Location: f.Location, Code: f.Key, Message: i18n.T(lang, f.Key, f.Args)})
	}
	return out
}

// writeResult renders a query result as JSON (with its warnings), CSV or a
// text table.
func writeResult(ctx context.Context, format, name string, res stats.Result) (*rawOut, error) {
	var buf bytes.Buffer
	switch format {
	case "csv":
		if err := stats.WriteCSV(&buf, res); err != nil {
			return nil, err
		}
		return &rawOut{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `.csv"`, Body: buf.Bytes()}, nil
	case "table":
		if err := stats.WriteTable(&buf, res); err != nil {
			return nil, err
		}
		return &rawOut{ContentType: "text/plain; charset=utf-8", Body: buf.Bytes()}, nil
	}
	if err := stats.WriteJSON(&buf, res); err != nil {
		return nil, err
	}
	doc := statsResultJSON{Dataset: res.Dataset, Measure: res.Measure, Columns: res.Columns(), Rows: bytes.TrimSpace(buf.Bytes()),
		Warnings: localFields(Lang(ctx), res.Warnings)}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return &rawOut{ContentType: "application/json", Body: b}, nil
}

// resultResponses documents the formats of a query route.
func (s *Server) resultResponses(desc string) map[string]*huma.Response {
	schema := s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(StatsResult{}), true, "StatsResult")
	return map[string]*huma.Response{"200": {Description: desc, Content: map[string]*huma.MediaType{
		"application/json": {Schema: schema},
		"text/csv":         {Schema: &huma.Schema{Type: "string", Description: "A header row (the grouping dimensions, the measure, the comparison columns), then one line per row"}},
		"text/plain":       {Schema: &huma.Schema{Type: "string", Description: "An aligned text table"}},
	}}}
}

// csvResponses documents a CSV-only route.
func csvResponses(desc string) map[string]*huma.Response {
	return map[string]*huma.Response{"200": {Description: desc, Content: map[string]*huma.MediaType{
		"text/csv": {Schema: &huma.Schema{Type: "string"}},
	}}}
}

// RegisterStats adds the statistics routes: queries, datasets and their
// versions with what each changed, exports with small-cell suppression
// (public), operational numbers (analysts, administrators) and imports.
func (s *Server) RegisterStats(svc *statsvc.Service) {
	tags := []string{"Statistics"}
	analysts := access.Roles(access.Analyst, access.Admin)

	type queryIn struct {
		StatsQueryParams
		Format string `query:"format" enum:"json,csv,table" default:"json" doc:"json (default), csv or table"`
	}
	Register(s, access.Public, huma.Operation{OperationID: "query-encounters", Method: "GET", Path: "/api/v1/stats/encounters", Tags: tags,
		Summary:     "Query encounter statistics",
		Description: "The same query as `senda stats query`: sums of published encounter counts by any dimensions, with filters, a month range and comparisons. CSV starts with a header row; without `by` the answer is one row, the total.",
		Responses:   s.resultResponses("The query's rows")},
		func(ctx context.Context, in *queryIn) (*rawOut, error) {
			_, res, err := svc.Query(ctx, in.args())
			if err != nil {
				return nil, prefixFields(err, "query.")
			}
			return writeResult(ctx, in.Format, "senda-encounters", res)
		})
	Register(s, analysts, huma.Operation{OperationID: "query-operations", Method: "GET", Path: "/api/v1/stats/operations", Tags: tags,
		Summary:     "Query Senda's operational numbers",
		Description: "Registrations (households and people) by month, place and nationality, counted from Senda's own records, within the caller's scope. Group or filter by metric: different metrics do not add up.",
		Responses:   s.resultResponses("The query's rows")},
		func(ctx context.Context, in *queryIn) (*rawOut, error) {
			_, res, err := svc.QueryOperations(ctx, in.args(), access.From(ctx).Scope)
			if err != nil {
				return nil, prefixFields(err, "query.")
			}
			return writeResult(ctx, in.Format, "senda-operations", res)
		})

	Register(s, access.Public, huma.Operation{OperationID: "list-stats-datasets", Method: "GET", Path: "/api/v1/stats/datasets", Tags: tags,
		Summary: "Imported datasets, their versions and what each version changed"},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []statsvc.Dataset }, error) {
			l, err := svc.Datasets(ctx)
			return &struct{ Body []statsvc.Dataset }{l}, err
		})
	type diffIn struct {
		Key     string `path:"key" maxLength:"64" doc:"Dataset key" example:"cbp-sw-land-border"`
		Version int    `path:"version" minimum:"1" doc:"Version number"`
		Offset  int    `query:"offset" minimum:"0" doc:"Skip this many changed cells"`
		Limit   int    `query:"limit" minimum:"1" maximum:"5000" default:"1000" doc:"At most this many changed cells"`
	}
	Register(s, access.Public, huma.Operation{OperationID: "get-stats-version-diff", Method: "GET", Path: "/api/v1/stats/datasets/{key}/versions/{version}/diff", Tags: tags,
		Summary:     "What a version of a dataset changed",
		Description: "A newer release replaces the months it covers. For those months: each month's total before and after, and every cell added, removed or revised, in cell order."},
		func(ctx context.Context, in *diffIn) (*struct{ Body *statsvc.Diff }, error) {
			d, err := svc.VersionDiff(ctx, in.Key, in.Version, in.Offset, in.Limit)
			return &struct{ Body *statsvc.Diff }{d}, err
		})

	type exportIn struct {
		StatsQueryParams
		Threshold int64 `query:"threshold" minimum:"1" maximum:"1000000" default:"10" doc:"Withhold counts below this, and enough others that none can be worked out from the totals"`
		Fiscal    bool  `query:"fiscal" doc:"Columns by fiscal year (October to September) instead of calendar month"`
	}
	Register(s, access.Public, huma.Operation{OperationID: "export-encounters", Method: "GET", Path: "/api/v1/stats/export", Tags: tags,
		Summary:     "Export encounter aggregates with small cells withheld",
		Description: "`by` names the rows and optionally the columns (default citizenship,month; with `fiscal`, months become fiscal years). Rows by citizenship carry ISO 3166-1 codes. Withheld numbers are written x; no withheld number can be worked out from the published ones and the totals.",
		Responses:   csvResponses("The table as CSV, with row and column totals")},
		func(ctx context.Context, in *exportIn) (*rawOut, error) {
			rows, cols, err := statsvc.ExportDims(in.By, in.Fiscal)
			if err != nil {
				return nil, prefixFields(err, "query.")
			}
			ct, err := svc.Export(ctx, in.args(), rows, cols, in.Threshold)
			if err != nil {
				return nil, prefixFields(err, "query.")
			}
			var buf bytes.Buffer
			if err := stats.WriteCrosstabCSV(&buf, ct); err != nil {
				return nil, err
			}
			return &rawOut{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="senda-export.csv"`, Body: buf.Bytes()}, nil
		})

	type importIn struct {
		Name        string `query:"name" maxLength:"200" doc:"File name, used in error locations when the body is not a form"`
		ContentType string `header:"Content-Type"`
		RawBody     []byte `contentType:"application/octet-stream"`
	}
	type importOut struct {
		Body struct {
			statsvc.Imported
			Warnings []ProblemField `json:"warnings" doc:"For example a citizenship label without an ISO code (counted as Other)"`
		}
	}
	Register(s, analysts, huma.Operation{OperationID: "import-stats", Method: "POST", Path: "/api/v1/stats/import", Tags: tags,
		Summary:      "Import a published statistics file",
		Description:  "The file as the body (any content type), or as the part named file of a multipart/form-data body. The layout is recognised from the content. All or nothing: a bad file imports nothing and every problem is listed with its line and column. The same file twice changes nothing; a newer release replaces the months it covers and is recorded as a new version with what it changed.",
		MaxBodyBytes: MaxStatsUpload, Errors: []int{413, 422}},
		func(ctx context.Context, in *importIn) (*importOut, error) {
			name, data, err := uploaded(in.ContentType, in.Name, in.RawBody)
			if err != nil {
				return nil, err
			}
			r, err := svc.ImportFile(ctx, name, data, access.From(ctx).Actor())
			if err != nil {
				return nil, err
			}
			out := &importOut{}
			out.Body.Imported = *r
			out.Body.Warnings = localFields(Lang(ctx), r.Warnings)
			return out, nil
		})
}

// uploaded returns the file of an import request: the part named "file" of
// a multipart form, or the whole body.
func uploaded(contentType, name string, body []byte) (string, []byte, error) {
	if name == "" {
		name = "upload"
	}
	name = filepath.Base(name)
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return name, body, nil
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", nil, &senda.Error{Code: senda.CodeInvalid, Key: "stats.import.bad_form", Err: err,
				Fields: []senda.FieldError{{Location: "body", Key: "stats.import.bad_form"}}}
		}
		if p.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return "", nil, &senda.Error{Code: senda.CodeInvalid, Key: "stats.import.bad_form", Err: err,
				Fields: []senda.FieldError{{Location: "body", Key: "stats.import.bad_form"}}}
		}
		if f := p.FileName(); f != "" {
			name = filepath.Base(f)
		}
		return name, data, nil
	}
	return "", nil, &senda.Error{Code: senda.CodeInvalid, Key: "stats.import.no_file",
		Fields: []senda.FieldError{{Location: "body.file", Key: "stats.import.no_file"}}}
}
