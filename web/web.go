// Package web holds the files Senda serves as they are: styles, images and
// the independent draw verifier, embedded in the binary.
package web

import "embed"

// Static is served under /static/.
//
//go:embed static
var Static embed.FS
