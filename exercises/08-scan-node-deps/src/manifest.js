'use strict';
// The cargo waiting on the quay, and the customs manifest built from it with lodash.
// A real service would read a database; a fixed list keeps the exercise about the image.

const _ = require('lodash');

const CARGO = [
  { container: 'MSKU 204611-3', destination: 'Rotterdam', tonnes: 18.4, goods: 'coffee' },
  { container: 'TGHU 881034-0', destination: 'Hamburg', tonnes: 22.1, goods: 'machine parts' },
  { container: 'CMAU 517220-9', destination: 'Rotterdam', tonnes: 9.75, goods: 'textiles' },
  { container: 'OOLU 630018-2', destination: 'Antwerp', tonnes: 26.0, goods: 'steel coils' },
  { container: 'MSCU 742219-5', destination: 'Hamburg', tonnes: 14.3, goods: 'books' },
  { container: 'HLXU 309984-1', destination: 'Rotterdam', tonnes: 12.9, goods: 'cocoa' },
];

// One line per destination port: how many containers, how many tonnes, sorted by weight.
function manifest() {
  const ports = _.chain(CARGO)
    .groupBy('destination')
    .map((boxes, port) => ({
      port,
      containers: boxes.length,
      tonnes: _.round(_.sumBy(boxes, 'tonnes'), 2),
      goods: _.sortBy(_.uniq(_.map(boxes, 'goods'))),
    }))
    .orderBy(['tonnes', 'port'], ['desc', 'asc'])
    .value();
  return {
    service: 'customs-manifest',
    message: 'All cargo declared and cleared for departure.',
    containers: CARGO.length,
    tonnes: _.round(_.sumBy(CARGO, 'tonnes'), 2),
    ports,
  };
}

module.exports = { manifest };
