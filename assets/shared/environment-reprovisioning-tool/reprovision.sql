-- Every Commerce URL of the channel profiles names this environment ({{environment}} is
-- replaced by its name, as a quoted literal). Running it again changes nothing more.
update retailchannelprofileproperty
   set value = 'https://' || {{environment}} || '.retail.commerce.dynamics.com/' || split_part(value, '/', 4)
 where propertykey in ('RetailServerUrl', 'CloudPosUrl', 'MediaServerBaseUrl')
   and value is distinct from 'https://' || {{environment}} || '.retail.commerce.dynamics.com/' || split_part(value, '/', 4);
