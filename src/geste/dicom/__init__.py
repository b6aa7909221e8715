"""geste and the equipment, over DICOM. A domain room beside `crisis` (staff pages read and
write doses through `selectors`, `services`, `alerts`); `server.py`, the network entry point
run by `geste dicom`, is imported by no page, endpoint or room (.importlinter).

`geste dicom` runs one application entity (`server.py`, pynetdicom):
- Modality Worklist C-FIND SCP (`worklist.py`, `matching.py`): the procedure appointments of
  rooms with an active `ModalityStation`, keys matched and answered as asked, ISO_IR 192;
- MPPS N-CREATE / N-SET SCP (`mpps.py`). Choice, written down: the request's state machine
  has no "started" state and `performed` means "procedure record written" (the record holds
  route, levels, side, drug, which the unit does not know, and the report is signed on it).
  So an MPPS never moves the request: IN PROGRESS, COMPLETED and DISCONTINUED are recorded on
  `PerformedStep` and audited (`dicom.mpps_in_progress`, `dicom.mpps_completed`,
  `dicom.mpps_discontinued`); the worklists can show them (`selectors.step_status_by_request`);
- storage SCP for X-Ray Radiation Dose SRs (`rdsr.py`, `services.py`): totals and irradiation
  events kept, matched to the procedure (worklist study UID, accession number, or patient and
  day), the procedure record's dose fields filled from them (`services.record_dose_fill`) and
  dose alerts evaluated (`alerts.py`); unmatched reports are kept for staff to match.
"""
