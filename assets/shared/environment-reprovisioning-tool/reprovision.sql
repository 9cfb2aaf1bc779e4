-- Every Commerce URL of the channel profiles names this environment (the environment
-- placeholder becomes its name, as a quoted literal). An application without retail channel
-- profiles is left as it is. Running it again changes nothing more.
do $$
declare
  changed integer;
begin
  if to_regclass('retailchannelprofileproperty') is null then
    raise notice 'no retail channel profiles in this database: nothing to reprovision';
    return;
  end if;
  update retailchannelprofileproperty
     set value = 'https://' || {{environment}} || '.retail.commerce.dynamics.com/' || split_part(value, '/', 4)
   where propertykey in ('RetailServerUrl', 'CloudPosUrl', 'MediaServerBaseUrl')
     and value is distinct from 'https://' || {{environment}} || '.retail.commerce.dynamics.com/' || split_part(value, '/', 4);
  get diagnostics changed = row_count;
  raise notice 'retail channel profiles: % Commerce URL(s) now point at %', changed, {{environment}};
end
$$;
