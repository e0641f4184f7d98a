package api

import (
	"net/http"
	"strings"

	"github.com/skip2/go-qrcode"

	"tierbase/engines/forms"
)

// Public forms (线索收集表单): those who design tables publish, change and delete them
// (/api/forms) and get the link's QR code; anyone, signed in or not, reads a form's
// definition, gets a captcha and submits (/api/public/forms/{token}), and reads nothing else.

func (s *Server) listForms(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Forms.List(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": list})
}

func (s *Server) getForm(w http.ResponseWriter, r *http.Request) error {
	f, err := s.Forms.Get(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, f)
}

func (s *Server) saveForm(w http.ResponseWriter, r *http.Request) error {
	return saveByID(w, r, func(in *forms.Form, id string) { in.ID = id }, s.Forms.Save)
}

func (s *Server) deleteForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.Forms.Delete(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

// formQR answers the QR code (PNG) of the form's link: under --public-url when it is set,
// else under the address the request came to.
// base is the address people open tierbase at: --public-url, or the one r came to.
func (s *Server) base(r *http.Request) string {
	if s.PublicURL != "" {
		return strings.TrimSuffix(s.PublicURL, "/")
	}
	scheme := "http"
	if s.viaHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) formQR(w http.ResponseWriter, r *http.Request) error {
	f, err := s.Forms.Get(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(s.base(r)+"/f/"+f.Token, qrcode.Medium, 320)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-cache")
	_, err = w.Write(png)
	return err
}

// publicForm answers a form's own definition to anyone.
func (s *Server) publicForm(w http.ResponseWriter, r *http.Request) error {
	f, err := s.Forms.Public(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, f)
}

// formCaptcha answers a fresh captcha for the form: its id and its image (a data: URL).
func (s *Server) formCaptcha(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Forms.NewCaptcha(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, 200, c)
}

// submitForm adds a record through the form, limited per client address (clientAddr, which
// believes X-Forwarded-For from the trusted proxies only).
func (s *Server) submitForm(w http.ResponseWriter, r *http.Request) error {
	var in forms.Submission
	if err := decode(r, &in); err != nil {
		return err
	}
	res, err := s.Forms.Submit(r.Context(), r.PathValue("token"), s.clientAddr(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, 201, res)
}
