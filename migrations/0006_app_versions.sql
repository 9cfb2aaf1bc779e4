-- The release, platform update and financial reporting version belong to environments whose
-- profile carries them (finance-operations); an environment of any other application has none.
alter table dataalm.environments
  alter column application_release drop not null,
  alter column platform_update drop not null,
  alter column financial_reporting_version drop not null,
  add constraint environments_versions_together check (
    (application_release is null) = (platform_update is null)
    and (platform_update is null) = (financial_reporting_version is null));
