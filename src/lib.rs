//! loket: builds a KPPN's public service-standard site.
