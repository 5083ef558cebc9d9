#!/bin/sh
# Every man page renders without a single groff warning and has the sections a reader looks
# for first: a program's page (sections 1 and 8) its options, environment and exit status; a
# file format's page (section 5) the files it describes.   usage: tests/man-check.sh PAGE...
status=0
for page; do
  out=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
  [ -z "$out" ] || { echo "$page: groff: $out"; status=1; }
  case "$page" in
    *.5) sections="NAME SYNOPSIS DESCRIPTION FILES ENVIRONMENT EXAMPLES" ;;
    *) sections="NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT EXIT_STATUS EXAMPLES" ;;
  esac
  for section in $sections; do
    section=$(echo "$section" | tr _ ' ')
    grep -qx "\.SH \"\{0,1\}$section\"\{0,1\}" "$page" || { echo "$page: no $section section"; status=1; }
  done
done
exit $status
