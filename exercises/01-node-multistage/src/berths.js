'use strict';
// The harbour's berths and who is moored at them. A real service would read a database;
// a fixed list keeps the exercise about the image, not the app.

const BERTHS = [
  { berth: 'A1', vessel: 'Mary Rose' },
  { berth: 'A2', vessel: null },
  { berth: 'B1', vessel: 'Cutty Sark' },
  { berth: 'B2', vessel: null },
  { berth: 'C1', vessel: 'Endeavour' },
];

// A summary of the harbour for GET /.
function harbourReport() {
  const free = BERTHS.filter((b) => b.vessel === null).map((b) => b.berth);
  return {
    service: 'harbour-master',
    message: 'Ahoy! The harbour master is on watch.',
    berths: BERTHS.length,
    free,
  };
}

module.exports = { harbourReport };
