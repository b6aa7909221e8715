// A fluoroscopy unit played by a DICOM library nobody at geste wrote (npm dcmjs-dimse):
// it reads its worklist (C-FIND), finds the procedure by accession number, then reports the
// performed procedure step (MPPS): N-CREATE IN PROGRESS, then N-SET COMPLETED or DISCONTINUED.
// Usage: node modality.js HOST PORT CALLING_AE CALLED_AE ACCESSION FINAL_STATUS
// Prints one JSON line: the statuses received and what the worklist gave.
"use strict";
const dimse = require("dcmjs-dimse");
const { Client, Dataset } = dimse;
const { CFindRequest, NCreateRequest, NSetRequest } = dimse.requests;
const { Status, SopClass } = dimse.constants;

const [host, port, callingAe, calledAe, accession, finalStatus] = process.argv.slice(2);
const result = { find: [], create: null, set: null, errors: [] };

function send(requests) {
  return new Promise((resolve) => {
    const client = new Client();
    requests.forEach((r) => client.addRequest(r));
    client.on("networkError", (e) => {
      result.errors.push(String(e));
      resolve();
    });
    client.on("associationRejected", (r) => {
      result.errors.push("association rejected: " + JSON.stringify(r));
      resolve();
    });
    client.on("closed", () => resolve());
    client.send(host, Number(port), callingAe, calledAe);
  });
}

function now() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, "0");
  return {
    date: `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`,
    time: `${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`,
  };
}

async function main() {
  const find = CFindRequest.createWorklistFindRequest({
    AccessionNumber: accession,
    PatientName: "",
    PatientID: "",
    StudyInstanceUID: "",
    ScheduledProcedureStepSequence: [
      { ScheduledStationAETitle: callingAe, ScheduledProcedureStepID: "", Modality: "" },
    ],
  });
  let item = null;
  find.on("response", (response) => {
    if (response.getStatus() === Status.Pending && response.hasDataset()) {
      const el = response.getDataset().getElements();
      result.find.push({ PatientName: el.PatientName, AccessionNumber: el.AccessionNumber });
      item = el;
    }
  });
  await send([find]);
  if (!item) {
    console.log("RESULT " + JSON.stringify(result));
    return;
  }
  const sps = item.ScheduledProcedureStepSequence[0];
  const mppsUid = "1.2.826.0.1.3680043.10.1." + Date.now();
  const start = now();
  const create = new NCreateRequest(SopClass.ModalityPerformedProcedureStep, mppsUid);
  create.setDataset(
    new Dataset({
      PatientName: item.PatientName,
      PatientID: item.PatientID,
      Modality: sps.Modality,
      PerformedStationAETitle: callingAe,
      PerformedProcedureStepID: "PPS1",
      PerformedProcedureStepStartDate: start.date,
      PerformedProcedureStepStartTime: start.time,
      PerformedProcedureStepStatus: "IN PROGRESS",
      ScheduledStepAttributesSequence: [
        {
          AccessionNumber: item.AccessionNumber,
          StudyInstanceUID: item.StudyInstanceUID,
          ScheduledProcedureStepID: sps.ScheduledProcedureStepID,
        },
      ],
    })
  );
  create.on("response", (r) => {
    result.create = r.getStatus();
  });
  await send([create]);
  const end = now();
  const set = new NSetRequest(SopClass.ModalityPerformedProcedureStep, mppsUid);
  const changes = {
    PerformedProcedureStepStatus: finalStatus,
    PerformedProcedureStepEndDate: end.date,
    PerformedProcedureStepEndTime: end.time,
  };
  if (finalStatus === "DISCONTINUED") {
    changes.PerformedProcedureStepDiscontinuationReasonCodeSequence = [
      { CodeValue: "110514", CodingSchemeDesignator: "DCM", CodeMeaning: "Incorrect worklist entry selected" },
    ];
  }
  set.setDataset(new Dataset(changes));
  set.on("response", (r) => {
    result.set = r.getStatus();
  });
  await send([set]);
  // Once final, a step may no longer change: a second N-SET must be refused.
  const again = new NSetRequest(SopClass.ModalityPerformedProcedureStep, mppsUid);
  again.setDataset(new Dataset({ PerformedProcedureStepStatus: "IN PROGRESS" }));
  again.on("response", (r) => {
    result.again = r.getStatus();
  });
  await send([again]);
  result.mpps = mppsUid;
  console.log("RESULT " + JSON.stringify(result));
}

main().catch((e) => {
  result.errors.push(String(e));
  console.log("RESULT " + JSON.stringify(result));
  process.exitCode = 1;
});
