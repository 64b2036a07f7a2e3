package http

import (
	"context"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/senda-platform/senda"
	"github.com/senda-platform/senda/internal/access"
	"github.com/senda-platform/senda/reference"
)

var referenceVersion = reference.Version

type listOut[T any] struct {
	Body struct {
		Version string `json:"version" doc:"Version of the reference data"`
		Items   []T    `json:"items"`
	}
}

func list[T any](items []T) *listOut[T] {
	out := &listOut[T]{}
	out.Body.Version = reference.Version
	out.Body.Items = items
	if out.Body.Items == nil {
		out.Body.Items = []T{}
	}
	return out
}

func (s *Server) registerReference() {
	tags := []string{"Reference data"}
	Register(s, access.Public, huma.Operation{OperationID: "list-ports", Method: "GET", Path: "/api/v1/reference/ports", Tags: tags,
		Summary: "Southwest-border ports of entry that take appointments"},
		func(ctx context.Context, _ *struct{}) (*listOut[reference.PortInfo], error) {
			return list(reference.Ports()), nil
		})
	Register(s, access.Public, huma.Operation{OperationID: "list-offices", Method: "GET", Path: "/api/v1/reference/offices", Tags: tags,
		Summary: "Safe Mobility Offices"},
		func(ctx context.Context, _ *struct{}) (*listOut[reference.OfficeInfo], error) {
			return list(reference.Offices()), nil
		})
	Register(s, access.Public, huma.Operation{OperationID: "list-countries", Method: "GET", Path: "/api/v1/reference/countries", Tags: tags,
		Summary: "Countries (ISO 3166-1) with English and Spanish names"},
		func(ctx context.Context, _ *struct{}) (*listOut[reference.CountryInfo], error) {
			return list(reference.Countries()), nil
		})
	type subIn struct {
		Country string `query:"country" required:"true" pattern:"^[A-Za-z]{2}$" doc:"ISO 3166-1 alpha-2 code, e.g. MX" example:"MX"`
	}
	Register(s, access.Public, huma.Operation{OperationID: "list-subdivisions", Method: "GET", Path: "/api/v1/reference/subdivisions", Tags: tags,
		Summary: "Subdivisions of a country (ISO 3166-2) that location rules use"},
		func(ctx context.Context, in *subIn) (*listOut[reference.SubdivisionInfo], error) {
			if _, ok := reference.Country(in.Country); !ok {
				return nil, &senda.Error{Code: senda.CodeInvalid, Key: "error.invalid",
					Fields: []senda.FieldError{{Location: "query.country", Key: "validation.country"}}}
			}
			return list(reference.Subdivisions(strings.ToUpper(in.Country))), nil
		})
	Register(s, access.Public, huma.Operation{OperationID: "list-languages", Method: "GET", Path: "/api/v1/reference/languages", Tags: tags,
		Summary: "Languages Senda speaks"},
		func(ctx context.Context, _ *struct{}) (*listOut[reference.LanguageInfo], error) {
			return list(reference.Languages()), nil
		})
}
