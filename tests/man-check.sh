#!/bin/sh
# Every man page renders without a single groff warning and has the sections a reader looks
# for first.   usage: tests/man-check.sh PAGE...
status=0
for page; do
  out=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
  [ -z "$out" ] || { echo "$page: groff: $out"; status=1; }
  for section in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT "EXIT STATUS" EXAMPLES; do
    grep -qx "\.SH \"\{0,1\}$section\"\{0,1\}" "$page" || { echo "$page: no $section section"; status=1; }
  done
done
exit $status
