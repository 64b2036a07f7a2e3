package http

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// A lean operation serves its everyday request without huma's generic
// decoding, validation and encoding, which cost the busiest operation (an
// appointment request, thousands a second while a window is open) as much
// processor time as the rest of its request path. Everything else (another
// content type, a body too long or not plainly valid) goes to huma with the
// body as it came, so that what a client gets, answer or problem, is what
// huma would have given.

// leanMaxBody is the longest body a lean operation decodes itself.
const leanMaxBody = 4 << 10

// leanBodyReadTimeout is huma's default time to read a body.
const leanBodyReadTimeout = 5 * time.Second

// lean returns an operation middleware serving the requests that decode
// accepts with serve, and passing every other request on. decode must
// accept only bodies that the operation's schema validation accepts, and
// decode them as huma would (see FuzzLeanRequestInputAsHuma); serve returns
// the answer's body. Answers and errors are written as huma writes them.
func lean[I any](api huma.API, decode func([]byte) (I, bool), serve func(context.Context, I) (any, error)) func(huma.Context, func(huma.Context)) {
	return func(hctx huma.Context, next func(huma.Context)) {
		r, _ := humago.Unwrap(hctx)
		if r.ContentLength <= 0 || r.ContentLength > leanMaxBody || r.Header.Get("Content-Type") != "application/json" {
			next(hctx)
			return
		}
		ct, err := api.Negotiate(r.Header.Get("Accept"))
		if err != nil {
			next(hctx)
			return
		}
		hctx.SetReadDeadline(time.Now().Add(leanBodyReadTimeout))
		body := make([]byte, r.ContentLength)
		n, err := io.ReadFull(r.Body, body)
		if err != nil {
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(body[:n]), r.Body), r.Body}
			next(hctx)
			return
		}
		in, ok := decode(body)
		if !ok {
			r.Body = io.NopCloser(bytes.NewReader(body))
			next(hctx)
			return
		}
		out, err := serve(hctx.Context(), in)
		status := http.StatusOK
		if err != nil {
			var he huma.HeadersError
			if errors.As(err, &he) {
				for k, vs := range he.GetHeaders() {
					for _, v := range vs {
						hctx.AppendHeader(k, v)
					}
				}
			}
			var se huma.StatusError
			if !errors.As(err, &se) {
				se = huma.NewErrorWithContext(hctx, http.StatusInternalServerError, "unexpected error occurred", err)
			}
			status, out = se.GetStatus(), se
		}
		if f, ok := out.(huma.ContentTypeFilter); ok {
			ct = f.ContentType(ct)
		}
		hctx.SetHeader("Content-Type", ct)
		v, err := api.Transform(hctx, strconv.Itoa(status), out)
		if err != nil {
			v = out
		}
		hctx.SetStatus(status)
		if err := api.Marshal(hctx.BodyWriter(), ct, v); err != nil && hctx.Context().Err() != nil {
			hctx.SetStatus(499)
		}
	}
}
