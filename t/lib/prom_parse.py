#!/usr/bin/env python3
#
# Copyright (C) nginx-rtc authors
#
# t/lib/prom_parse.py < metrics.txt: parses the Prometheus text exposition
# format with the reference parser (Debian's python3-prometheus-client) and
# prints the families as JSON: [{"name", "type", "samples": [{"name",
# "labels", "value"}]}].  A parse error exits 1 with the parser's message.

import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    out = []
    try:
        for fam in text_string_to_metric_families(text):
            out.append({
                'name': fam.name,
                'type': fam.type,
                'help': fam.documentation,
                'samples': [{'name': s.name, 'labels': s.labels,
                             'value': s.value} for s in fam.samples],
            })
    except Exception as e:                       # noqa: BLE001
        sys.stderr.write('prometheus parser: %s\n' % e)
        sys.exit(1)
    json.dump(out, sys.stdout)


main()
