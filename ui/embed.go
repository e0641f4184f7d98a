// Package ui holds the built web interface (ui/dist, made by `npm run build` and committed),
// embedded in the binary so `tierbase serve` needs no Node.js.
package ui

import "embed"

// Dist is the built single-page app: index.html and its assets.
//
//go:embed all:dist
var Dist embed.FS
