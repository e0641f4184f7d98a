package spreadsheet

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// scanTokens lists what xmlScanner reads, adjacent text joined, as comparable strings.
func scanTokens(data []byte) ([]string, error) {
	sc := newXMLScanner(bytes.NewReader(data))
	var out []string
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			out = append(out, "text "+text.String())
			text.Reset()
		}
	}
	for {
		err := sc.next()
		if err == io.EOF {
			flush()
			return out, nil
		}
		if err != nil {
			return out, err
		}
		switch sc.kind {
		case tokStart:
			flush()
			var attrs []string
			for _, a := range sc.attrs {
				attrs = append(attrs, fmt.Sprintf("%s=%q", a.name, a.value))
			}
			out = append(out, fmt.Sprintf("start %s %v", sc.name, attrs))
		case tokEnd:
			flush()
			out = append(out, "end "+string(sc.name))
		case tokText:
			text.Write(sc.text)
		}
	}
}

// referenceTokens lists the same with encoding/xml.
func referenceTokens(data []byte) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var out []string
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			out = append(out, "text "+text.String())
			text.Reset()
		}
	}
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			flush()
			return out, nil
		}
		if err != nil {
			return out, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			flush()
			var attrs []string
			for _, a := range t.Attr {
				attrs = append(attrs, fmt.Sprintf("%s=%q", a.Name.Local, a.Value))
			}
			out = append(out, fmt.Sprintf("start %s %v", t.Name.Local, attrs))
		case xml.EndElement:
			flush()
			out = append(out, "end "+t.Name.Local)
		case xml.CharData:
			text.Write(t)
		}
	}
}

func xmlSeeds(t testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte(`<?xml version="1.0"?><!-- c --><!DOCTYPE x><x:row r="1" x:s='2'><c r="A1" t="s"><v>0</v></c><c r="B1"/><c><is><t xml:space="preserve"> a &amp; b &lt;&gt; &#x4e2d;&#25991; &quot;&apos; </t></is></c></x:row>`),
		[]byte("<a b=\"x>y\" c='\"'>line\r\nnext\rlast<![CDATA[<raw> & \r\n]]>tail</a>"),
		[]byte("<a\n  b = \"1\"\t/>text at end"),
		[]byte("<:a b:=\"1\"></:a>"),
	}
	zr, err := zip.OpenReader("testdata/customers_libreoffice.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".xml") {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			seeds = append(seeds, b)
		}
	}
	return seeds
}

func TestXMLScannerMatchesEncodingXML(t *testing.T) {
	for _, seed := range xmlSeeds(t) {
		want, err := referenceTokens(seed)
		if err != nil {
			t.Fatalf("reference: %v in %.200q", err, seed)
		}
		got, err := scanTokens(seed)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("scanner: %v\n got %.2000q\nwant %.2000q", err, got, want)
		}
	}
}

// FuzzXMLScanner checks the fast scanner against encoding/xml on every input encoding/xml
// accepts, and that it never panics on the rest.
func FuzzXMLScanner(f *testing.F) {
	for _, s := range xmlSeeds(f) {
		if len(s) < 4000 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := scanTokens(data)
		want, rerr := referenceTokens(data)
		if rerr != nil {
			return
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("scanner: %v\n got %q\nwant %q", err, got, want)
		}
	})
}
