package importer

import (
	"io"
	"strings"

	"tierbase/platform/spreadsheet"
)

// WriteReport writes the error report of an import as a spreadsheet ("xlsx" or "csv"): the
// rejected rows as they were in the file, with their row number first and a 错误原因 column
// last, so a user can fix them in Excel and import the report again.
func WriteReport(w io.Writer, res *Result, format, lang string) error {
	sw, err := spreadsheet.Create(w, format)
	if err != nil {
		return err
	}
	lineCol, reasonCol := "行号", "错误原因"
	if lang == "en" {
		lineCol, reasonCol = "Row", "Error"
	}
	head := make([]any, 0, len(res.Header)+2)
	head = append(head, lineCol)
	for _, h := range res.Header {
		head = append(head, h)
	}
	if err := sw.Write(append(head, reasonCol)); err != nil {
		return err
	}
	for _, rej := range res.Rejects {
		row := make([]any, 0, len(rej.Cells)+2)
		row = append(row, rej.Line)
		for _, c := range rej.Cells {
			row = append(row, c)
		}
		reasons := make([]string, len(rej.Reasons))
		for i, r := range rej.Reasons {
			reasons[i] = r.Message(lang)
		}
		sep := "；"
		if lang == "en" {
			sep = "; "
		}
		if err := sw.Write(append(row, strings.Join(reasons, sep))); err != nil {
			return err
		}
	}
	return sw.Close()
}
