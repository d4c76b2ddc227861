-- One database per service: no service reads another's tables.
CREATE DATABASE ecosteward_registry;
CREATE DATABASE ecosteward_archive;
CREATE DATABASE ecosteward_inspection;
CREATE DATABASE ecosteward_appraisal;
CREATE DATABASE ecosteward_reporting;
